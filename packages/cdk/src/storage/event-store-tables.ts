import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { NovaCostError } from '@nova-cost/domain';
import { Construct } from 'constructs';
import { tagCostCategory } from '../cost-category-tag';

export interface EventStoreTablesProps {
  /** TTL attribute of the event store, so old events expire for free. @default 'ttl' */
  readonly ttlAttribute?: string;
  /** @default true */
  readonly pointInTimeRecovery?: boolean;
  /** Read model provisioned read capacity. @default 10 */
  readonly readModelReadCapacity?: number;
  /** Read model provisioned write capacity. @default 10 */
  readonly readModelWriteCapacity?: number;
  /** @default 5 */
  readonly readModelMinReadCapacity?: number;
  /** @default 100 */
  readonly readModelMaxReadCapacity?: number;
  /** @default 70 */
  readonly readModelTargetUtilizationPercent?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The event store (on-demand: bursty, unpredictable writes) and the read model (provisioned with read autoscaling:
 * steady, predictable reads are cheaper provisioned).
 */
export class EventStoreTables extends Construct {
  readonly eventStore: dynamodb.Table;
  readonly readModel: dynamodb.Table;

  constructor(scope: Construct, id: string, props: EventStoreTablesProps = {}) {
    super(scope, id);
    tagCostCategory(this, 'storage');
    const minRead = props.readModelMinReadCapacity ?? 5;
    const maxRead = props.readModelMaxReadCapacity ?? 100;
    if (minRead < 1 || maxRead < minRead) {
      throw new NovaCostError(
        'configuration',
        `read model read capacity must satisfy 1 <= min <= max, got ${minRead}..${maxRead}`,
      );
    }
    const keys = {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    };
    const pitr = props.pointInTimeRecovery ?? true;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.eventStore = new dynamodb.Table(this, 'EventStore', {
      ...keys,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: props.ttlAttribute ?? 'ttl',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: pitr },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });

    this.readModel = new dynamodb.Table(this, 'ReadModel', {
      ...keys,
      billingMode: dynamodb.BillingMode.PROVISIONED,
      readCapacity: props.readModelReadCapacity ?? 10,
      writeCapacity: props.readModelWriteCapacity ?? 10,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: pitr },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    this.readModel
      .autoScaleReadCapacity({ minCapacity: minRead, maxCapacity: maxRead })
      .scaleOnUtilization({ targetUtilizationPercent: props.readModelTargetUtilizationPercent ?? 70 });
  }
}
