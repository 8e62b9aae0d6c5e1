import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NovaCostError } from '@nova-cost/domain';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContentBucket, type ContentBucketProps } from './content-bucket';

function synth(props?: ContentBucketProps): Template {
  const stack = new Stack(new App(), 'Test');
  new ContentBucket(stack, 'Content', props);
  return Template.fromStack(stack);
}

describe(ContentBucket, () => {
  describe('having default props', () => {
    let template: Template;
    beforeAll(() => (template = synth()));

    it('is S3-managed encrypted, private and SSL only', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('archives Intelligent-Tiering objects at 90 days and deep-archives them at 180', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        IntelligentTieringConfigurations: [
          Match.objectLike({
            Status: 'Enabled',
            Tierings: [
              { AccessTier: 'ARCHIVE_ACCESS', Days: 90 },
              { AccessTier: 'DEEP_ARCHIVE_ACCESS', Days: 180 },
            ],
          }),
        ],
      });
    });

    it('tiers processed audio, expires temp/, aborts stale uploads, and moves nothing else by lifecycle', () => {
      // No bucket-wide Intelligent-Tiering rule: S3 never moves INTELLIGENT_TIERING to STANDARD_IA, so one would cancel
      // the processed audio's 30-day step. Objects under 128 KB are never transitioned (their per-request fee is
      // more than they would save).
      template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          TransitionDefaultMinimumObjectSize: 'all_storage_classes_128K',
          Rules: [
            Match.objectLike({
              Id: 'ProcessedAudioTierDown',
              Prefix: 'audio/processed/',
              Transitions: [
                { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
                { StorageClass: 'GLACIER', TransitionInDays: 90 },
              ],
            }),
            Match.objectLike({ Id: 'DeleteTempFiles', Prefix: 'temp/', ExpirationInDays: 1 }),
            Match.objectLike({
              Id: 'AbortIncompleteMultipartUpload',
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            }),
          ],
        },
      });
    });
  });

  describe('having overrides', () => {
    it('applies every number and prefix it is given', () => {
      synth({
        archiveAccessDays: 120,
        deepArchiveAccessDays: 365,
        intelligentTieringPrefixes: ['uploads/', 'transcripts/'],
        intelligentTieringAfterDays: 3,
        processedAudioPrefix: 'audio/done/',
        processedAudioInfrequentAccessDays: 45,
        processedAudioGlacierDays: 120,
        tempPrefix: 'scratch/',
        tempExpirationDays: 2,
        abortIncompleteMultipartUploadDays: 3,
        transitionDefaultMinimumObjectSize: s3.TransitionDefaultMinimumObjectSize.VARIES_BY_STORAGE_CLASS,
      }).hasResourceProperties('AWS::S3::Bucket', {
        IntelligentTieringConfigurations: [
          Match.objectLike({
            Tierings: [
              { AccessTier: 'ARCHIVE_ACCESS', Days: 120 },
              { AccessTier: 'DEEP_ARCHIVE_ACCESS', Days: 365 },
            ],
          }),
        ],
        LifecycleConfiguration: {
          TransitionDefaultMinimumObjectSize: 'varies_by_storage_class',
          Rules: [
            Match.objectLike({
              Id: 'ToIntelligentTiering1',
              Prefix: 'uploads/',
              Transitions: [{ StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 3 }],
            }),
            Match.objectLike({
              Id: 'ToIntelligentTiering2',
              Prefix: 'transcripts/',
              Transitions: [{ StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 3 }],
            }),
            Match.objectLike({
              Prefix: 'audio/done/',
              Transitions: [
                { StorageClass: 'STANDARD_IA', TransitionInDays: 45 },
                { StorageClass: 'GLACIER', TransitionInDays: 120 },
              ],
            }),
            Match.objectLike({ Prefix: 'scratch/', ExpirationInDays: 2 }),
            Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } }),
          ],
        },
      });
    });
  });

  describe('misuse', () => {
    it.each<[ContentBucketProps, RegExp]>([
      [{ archiveAccessDays: 30 }, /90 <= archiveAccessDays <= 730/],
      [{ archiveAccessDays: 200, deepArchiveAccessDays: 190 }, /deep after archive, got 200 and 190/],
      [{ processedAudioInfrequentAccessDays: 10 }, /processedAudioInfrequentAccessDays >= 30/],
      [{ processedAudioInfrequentAccessDays: 60, processedAudioGlacierDays: 60 }, /Glacier after it, got 60 and 60/],
      [{ tempPrefix: '' }, /must not be empty/],
      [{ intelligentTieringPrefixes: [''] }, /must not overlap "audio\/processed\/" or "temp\/".*got ""/],
      [
        { intelligentTieringPrefixes: ['audio/'] },
        /S3 cannot move Intelligent-Tiering objects to Standard-IA\), got "audio\/"/,
      ],
      [{ intelligentTieringPrefixes: ['temp/old/'] }, /must not overlap/],
    ])('refuses %o', (props, message) => {
      expect(() => synth(props)).toThrow(message);
      expect(() => synth(props)).toThrow(NovaCostError);
    });
  });
});
