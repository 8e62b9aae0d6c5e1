// Allowed: an adapter may import the domain. Linted only by tools/boundaries, as the control case.
import { NovaCostError } from '@nova-cost/domain';
export const right = NovaCostError;
