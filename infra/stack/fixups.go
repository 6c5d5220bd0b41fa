package stack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// applyFixups applies the template properties that emulators accept but do
// not act on when they create resources through CloudFormation (moto does
// neither of these), reading them from the same template.
func (s *Stack) applyFixups(ctx context.Context) error {
	for _, id := range s.Template.LogicalIDs(TypeBucket) {
		if err := s.applyBucketNotifications(ctx, id); err != nil {
			return fmt.Errorf("bucket %s notifications: %w", id, err)
		}
	}
	for _, id := range s.Template.LogicalIDs(TypeTable) {
		if err := s.applyTimeToLive(ctx, id); err != nil {
			return fmt.Errorf("table %s time to live: %w", id, err)
		}
	}
	return nil
}

// applyBucketNotifications sets NotificationConfiguration.QueueConfigurations
// on the bucket. It only writes when the bucket's configuration differs,
// because every write makes S3 send an s3:TestEvent to the queues.
func (s *Stack) applyBucketNotifications(ctx context.Context, logicalID string) error {
	nc := asMap(s.Template.Resources[logicalID].Properties["NotificationConfiguration"])
	raw, _ := nc["QueueConfigurations"].([]any)
	if len(raw) == 0 {
		return nil
	}
	want, err := s.queueConfigurations(ctx, raw)
	if err != nil {
		return err
	}
	bucket, err := s.BucketName(logicalID)
	if err != nil {
		return err
	}
	cur, err := s.s3.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(bucket)})
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	if queueConfigKey(cur.QueueConfigurations) == queueConfigKey(want) {
		return nil
	}
	_, err = s.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket:                    aws.String(bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: want},
	})
	if err != nil {
		return fmt.Errorf("put: %w", err)
	}
	return nil
}

// queueConfigurations converts CloudFormation's QueueConfigurations
// ({Event, Queue, Filter.S3Key.Rules}) into the S3 API's shape.
func (s *Stack) queueConfigurations(ctx context.Context, raw []any) ([]s3types.QueueConfiguration, error) {
	out := make([]s3types.QueueConfiguration, 0, len(raw))
	for i, e := range raw {
		m := asMap(e)
		event, err := s.Resolve(ctx, m["Event"])
		if err != nil {
			return nil, fmt.Errorf("QueueConfigurations[%d].Event: %w", i, err)
		}
		queueARN, err := s.Resolve(ctx, m["Queue"])
		if err != nil {
			return nil, fmt.Errorf("QueueConfigurations[%d].Queue: %w", i, err)
		}
		qc := s3types.QueueConfiguration{Events: []s3types.Event{s3types.Event(event)}, QueueArn: aws.String(queueARN)}
		rules, _ := asMap(asMap(m["Filter"])["S3Key"])["Rules"].([]any)
		for j, r := range rules {
			name, err := s.Resolve(ctx, asMap(r)["Name"])
			if err != nil {
				return nil, fmt.Errorf("QueueConfigurations[%d].Filter rule %d: %w", i, j, err)
			}
			value, err := s.Resolve(ctx, asMap(r)["Value"])
			if err != nil {
				return nil, fmt.Errorf("QueueConfigurations[%d].Filter rule %d: %w", i, j, err)
			}
			if qc.Filter == nil {
				qc.Filter = &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{}}
			}
			qc.Filter.Key.FilterRules = append(qc.Filter.Key.FilterRules, s3types.FilterRule{
				Name:  s3types.FilterRuleName(strings.ToLower(name)),
				Value: aws.String(value),
			})
		}
		out = append(out, qc)
	}
	return out, nil
}

// queueConfigKey is a canonical text of queue configurations, ignoring ids
// and order, to tell whether a bucket already has what the template wants.
func queueConfigKey(qcs []s3types.QueueConfiguration) string {
	parts := make([]string, 0, len(qcs))
	for _, qc := range qcs {
		var b strings.Builder
		b.WriteString(aws.ToString(qc.QueueArn))
		events := make([]string, 0, len(qc.Events))
		for _, e := range qc.Events {
			events = append(events, string(e))
		}
		slices.Sort(events)
		b.WriteString("|" + strings.Join(events, ","))
		if qc.Filter != nil && qc.Filter.Key != nil {
			rules := make([]string, 0, len(qc.Filter.Key.FilterRules))
			for _, r := range qc.Filter.Key.FilterRules {
				rules = append(rules, strings.ToLower(string(r.Name))+"="+aws.ToString(r.Value))
			}
			slices.Sort(rules)
			b.WriteString("|" + strings.Join(rules, ","))
		}
		parts = append(parts, b.String())
	}
	slices.Sort(parts)
	return strings.Join(parts, "\n")
}

// applyTimeToLive enables TimeToLiveSpecification on the table when the
// template enables it and the table does not have it yet.
func (s *Stack) applyTimeToLive(ctx context.Context, logicalID string) error {
	spec := asMap(s.Template.Resources[logicalID].Properties["TimeToLiveSpecification"])
	enabled, err := optionalBool(spec, "Enabled", false)
	if err != nil || !enabled {
		return err
	}
	attr, err := s.Resolve(ctx, spec["AttributeName"])
	if err != nil {
		return fmt.Errorf("AttributeName: %w", err)
	}
	table, err := s.TableName(logicalID)
	if err != nil {
		return err
	}
	cur, err := s.ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		return fmt.Errorf("describe: %w", err)
	}
	if d := cur.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == attr &&
		(d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabled || d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = s.ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(table),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(attr), Enabled: aws.Bool(true)},
	})
	if isAlreadyEnabled(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return nil
}

func isAlreadyEnabled(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && strings.Contains(strings.ToLower(apiErr.ErrorMessage()), "already enabled")
}
