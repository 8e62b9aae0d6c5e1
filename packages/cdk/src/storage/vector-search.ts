import type * as iam from 'aws-cdk-lib/aws-iam';
import { NovaCostError } from '@nova-cost/domain';
import { Construct } from 'constructs';
import { OpenSearchVectorCollection, type OpenSearchVectorCollectionProps } from './opensearch-vector-collection';
import { S3VectorIndex, type S3VectorIndexProps } from './s3-vector-index';

/** Where vectors live: S3 Vectors has no capacity floor; OpenSearch Serverless has one, and answers faster. */
export type VectorEngine = 's3-vectors' | 'opensearch-serverless';

export const VECTOR_ENGINES: readonly VectorEngine[] = ['s3-vectors', 'opensearch-serverless'];

export interface VectorSearchProps extends S3VectorIndexProps, OpenSearchVectorCollectionProps {
  /**
   * S3 Vectors costs what it stores and queries, nothing at idle, at some 100 ms a warm query. OpenSearch Serverless
   * answers in milliseconds and does hybrid search, for an idle floor of OCU-hours (see the estimate).
   * @default 's3-vectors'
   */
  readonly engine?: VectorEngine;
}

/**
 * Vector search for the application's embeddings, on the engine a prop chooses. Both give the application one
 * environment variable and one grant; the estimate prices the floor each one buys.
 */
export class VectorSearch extends Construct {
  readonly engine: VectorEngine;
  /** Set when the engine is S3 Vectors. */
  readonly s3Index: S3VectorIndex | undefined;
  /** Set when the engine is OpenSearch Serverless. */
  readonly collection: OpenSearchVectorCollection | undefined;
  /** What the application reads to find its vectors: VECTOR_INDEX_ARN or VECTOR_COLLECTION_ENDPOINT. */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: VectorSearchProps = {}) {
    super(scope, id);
    this.engine = props.engine ?? 's3-vectors';
    if (!VECTOR_ENGINES.includes(this.engine)) {
      throw new NovaCostError(
        'configuration',
        `engine must be one of ${VECTOR_ENGINES.join(', ')}, got "${String(this.engine)}"`,
      );
    }
    if (this.engine === 's3-vectors') {
      this.s3Index = new S3VectorIndex(this, 'S3Vectors', props);
      this.environment = { VECTOR_ENGINE: this.engine, VECTOR_INDEX_ARN: this.s3Index.indexArn };
    } else {
      this.collection = new OpenSearchVectorCollection(this, 'OpenSearch', props);
      this.environment = { VECTOR_ENGINE: this.engine, VECTOR_COLLECTION_ENDPOINT: this.collection.endpoint };
    }
  }

  /** Lets `role` write, read and query vectors. */
  grantReadWrite(role: iam.IRole): void {
    this.s3Index?.grantReadWrite(role);
    this.collection?.grantReadWrite(role);
  }
}
