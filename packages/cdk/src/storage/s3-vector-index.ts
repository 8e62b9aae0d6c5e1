import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3vectors from 'aws-cdk-lib/aws-s3vectors';
import { NovaCostError } from '@nova-cost/domain';
import { Construct } from 'constructs';
import { tagCostCategory } from '../cost-category-tag';

/** How two vectors are compared. */
export type VectorDistanceMetric = 'cosine' | 'euclidean';

export interface S3VectorIndexProps {
  /** Numbers per vector, 1..4096: the embedding model's output size. @default 1024 (Titan Text Embeddings V2, Nova multimodal embeddings) */
  readonly dimension?: number;
  /** @default 'cosine' */
  readonly distanceMetric?: VectorDistanceMetric;
  /**
   * Metadata keys stored with each vector but not usable in query filters (e.g. the chunk's text). Filterable
   * metadata counts toward every query's processed bytes; keys listed here do not.
   * @default []
   */
  readonly nonFilterableMetadataKeys?: readonly string[];
}

/** Actions an application needs to write, read and query vectors (no index or bucket administration). */
const READ_WRITE_ACTIONS = [
  's3vectors:PutVectors',
  's3vectors:GetVectors',
  's3vectors:QueryVectors',
  's3vectors:DeleteVectors',
  's3vectors:ListVectors',
];

/**
 * An S3 Vectors bucket with one index: no capacity floor at all. Storage is billed per GB-month, writes per GB and
 * queries per call and data processed, so an idle index costs only what it stores. Encrypted with S3-managed keys
 * (SSE-S3, no KMS request charges).
 */
export class S3VectorIndex extends Construct {
  readonly bucket: s3vectors.CfnVectorBucket;
  readonly index: s3vectors.CfnIndex;
  readonly indexArn: string;
  readonly dimension: number;

  constructor(scope: Construct, id: string, props: S3VectorIndexProps = {}) {
    super(scope, id);
    tagCostCategory(this, 'storage');
    this.dimension = checkedDimension(props.dimension ?? 1024);
    const keys = props.nonFilterableMetadataKeys ?? [];
    if (keys.length > 10 || keys.some((k) => k.length < 1 || k.length > 63)) {
      throw new NovaCostError(
        'configuration',
        `nonFilterableMetadataKeys takes at most 10 keys of 1..63 characters, got ${JSON.stringify(keys)}`,
      );
    }
    this.bucket = new s3vectors.CfnVectorBucket(this, 'Bucket', { encryptionConfiguration: { sseType: 'AES256' } });
    this.index = new s3vectors.CfnIndex(this, 'Index', {
      vectorBucketArn: this.bucket.attrVectorBucketArn,
      dataType: 'float32',
      dimension: this.dimension,
      distanceMetric: props.distanceMetric ?? 'cosine',
      ...(keys.length > 0 ? { metadataConfiguration: { nonFilterableMetadataKeys: [...keys] } } : {}),
    });
    this.indexArn = this.index.attrIndexArn;
  }

  /** Lets `grantee` put, get, query, list and delete vectors of this index. */
  grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: READ_WRITE_ACTIONS, resourceArns: [this.indexArn] });
  }
}

/** Vector indexes (S3 Vectors and OpenSearch k-NN alike) take 1..4096 dimensions here. */
export function checkedDimension(dimension: number): number {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 4096) {
    throw new NovaCostError(
      'configuration',
      `dimension must be an integer in 1..4096 (the embedding model's output size), got ${dimension}`,
    );
  }
  return dimension;
}
