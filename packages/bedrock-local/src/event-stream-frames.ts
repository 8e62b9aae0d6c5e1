// The frames are written by @nova-cost/event-stream (the AWS SDK's codec), shared with the gateway.
export { eventFrame, exceptionFrame, padding } from '@nova-cost/event-stream';
