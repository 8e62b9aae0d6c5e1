export * from './app';
export * from './nova-cost.stack';
export * from './gateway-image';
