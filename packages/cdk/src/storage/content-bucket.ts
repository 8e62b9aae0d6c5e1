import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NovaCostError } from '@nova-cost/domain';
import { Construct } from 'constructs';
import { tagCostCategory } from '../cost-category-tag';

export interface ContentBucketProps {
  /** Days before objects in Intelligent-Tiering move to the Archive Access tier. @default 90 */
  readonly archiveAccessDays?: number;
  /** Days before objects in Intelligent-Tiering move to the Deep Archive Access tier. @default 180 */
  readonly deepArchiveAccessDays?: number;
  /**
   * Prefixes whose objects a lifecycle rule moves into Intelligent-Tiering (where the archive tiers above then apply).
   * None by default: objects join that class by being written with `StorageClass: INTELLIGENT_TIERING`. A prefix may
   * not overlap the processed-audio or temp prefix: S3 never transitions Intelligent-Tiering to Standard-IA, so a
   * bucket-wide rule would silently cancel the processed audio's 30-day Standard-IA step. @default []
   */
  readonly intelligentTieringPrefixes?: readonly string[];
  /** Days after upload when objects under `intelligentTieringPrefixes` move to Intelligent-Tiering. @default 0 */
  readonly intelligentTieringAfterDays?: number;
  /** Prefix of processed audio, tiered down on a fixed schedule. @default 'audio/processed/' */
  readonly processedAudioPrefix?: string;
  /** @default 30 */
  readonly processedAudioInfrequentAccessDays?: number;
  /** @default 90 */
  readonly processedAudioGlacierDays?: number;
  /** Prefix of scratch objects. @default 'temp/' */
  readonly tempPrefix?: string;
  /** @default 1 */
  readonly tempExpirationDays?: number;
  /** @default 7 */
  readonly abortIncompleteMultipartUploadDays?: number;
  /**
   * What happens to objects under 128 KB. Transitions of tiny objects cost more in per-request fees than they save,
   * so they stay where they are. @default s3.TransitionDefaultMinimumObjectSize.ALL_STORAGE_CLASSES_128_K
   */
  readonly transitionDefaultMinimumObjectSize?: s3.TransitionDefaultMinimumObjectSize;
  /** Bucket for server access logs. @default - no access logging */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** The content bucket: private, SSL only, and tiered by lifecycle rules so cold objects get cheaper on their own. */
export class ContentBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ContentBucketProps = {}) {
    super(scope, id);
    tagCostCategory(this, 'storage');
    const audioPrefix = props.processedAudioPrefix ?? 'audio/processed/';
    const tempPrefix = props.tempPrefix ?? 'temp/';
    const archive = props.archiveAccessDays ?? 90;
    const deepArchive = props.deepArchiveAccessDays ?? 180;
    const infrequent = props.processedAudioInfrequentAccessDays ?? 30;
    const glacier = props.processedAudioGlacierDays ?? 90;
    // S3's own limits, checked here so they fail at synth rather than halfway through a deploy.
    if (archive < 90 || archive > 730 || deepArchive < 180 || deepArchive > 730 || deepArchive <= archive) {
      throw new NovaCostError(
        'configuration',
        `Intelligent-Tiering needs 90 <= archiveAccessDays <= 730 and 180 <= deepArchiveAccessDays <= 730 with deep after archive, got ${archive} and ${deepArchive}`,
      );
    }
    if (infrequent < 30 || glacier <= infrequent) {
      throw new NovaCostError(
        'configuration',
        `processed audio needs processedAudioInfrequentAccessDays >= 30 and Glacier after it, got ${infrequent} and ${glacier}`,
      );
    }
    if (audioPrefix === '' || tempPrefix === '') {
      throw new NovaCostError(
        'configuration',
        'processedAudioPrefix and tempPrefix must not be empty: an empty prefix matches the whole bucket',
      );
    }
    const tieringPrefixes = props.intelligentTieringPrefixes ?? [];
    const overlaps = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);
    for (const prefix of tieringPrefixes) {
      if (overlaps(prefix, audioPrefix) || overlaps(prefix, tempPrefix)) {
        throw new NovaCostError(
          'configuration',
          `intelligentTieringPrefixes must not overlap "${audioPrefix}" or "${tempPrefix}" (S3 cannot move Intelligent-Tiering objects to Standard-IA), got "${prefix}"`,
        );
      }
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      transitionDefaultMinimumObjectSize:
        props.transitionDefaultMinimumObjectSize ?? s3.TransitionDefaultMinimumObjectSize.ALL_STORAGE_CLASSES_128_K,
      intelligentTieringConfigurations: [
        {
          name: 'archive-cold-objects',
          archiveAccessTierTime: Duration.days(archive),
          deepArchiveAccessTierTime: Duration.days(deepArchive),
        },
      ],
      lifecycleRules: [
        // The tiering configuration only acts on objects already in INTELLIGENT_TIERING: put the chosen prefixes there.
        ...tieringPrefixes.map((prefix, i) => ({
          id: `ToIntelligentTiering${i + 1}`,
          prefix,
          transitions: [
            {
              storageClass: s3.StorageClass.INTELLIGENT_TIERING,
              transitionAfter: Duration.days(props.intelligentTieringAfterDays ?? 0),
            },
          ],
        })),
        {
          id: 'ProcessedAudioTierDown',
          prefix: audioPrefix,
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(infrequent),
            },
            {
              storageClass: s3.StorageClass.GLACIER,
              transitionAfter: Duration.days(glacier),
            },
          ],
        },
        { id: 'DeleteTempFiles', prefix: tempPrefix, expiration: Duration.days(props.tempExpirationDays ?? 1) },
        {
          id: 'AbortIncompleteMultipartUpload',
          abortIncompleteMultipartUploadAfter: Duration.days(props.abortIncompleteMultipartUploadDays ?? 7),
        },
      ],
    });
  }
}
