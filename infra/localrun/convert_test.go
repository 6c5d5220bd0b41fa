package localrun

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"
)

// asJSON compares Lambda event values through their wire form, which is
// what a handler decoding a real Lambda payload would see.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	return out
}

func TestAttributeValue_AllTypes(t *testing.T) {
	tests := []struct {
		name string
		in   streamtypes.AttributeValue
		want string
	}{
		{name: "S", in: &streamtypes.AttributeValueMemberS{Value: "x"}, want: `{"S":"x"}`},
		{name: "N", in: &streamtypes.AttributeValueMemberN{Value: "1.5"}, want: `{"N":"1.5"}`},
		{name: "B", in: &streamtypes.AttributeValueMemberB{Value: []byte("hi")}, want: `{"B":"aGk="}`},
		{name: "SS", in: &streamtypes.AttributeValueMemberSS{Value: []string{"a", "b"}}, want: `{"SS":["a","b"]}`},
		{name: "NS", in: &streamtypes.AttributeValueMemberNS{Value: []string{"1", "2"}}, want: `{"NS":["1","2"]}`},
		{name: "BS", in: &streamtypes.AttributeValueMemberBS{Value: [][]byte{[]byte("hi")}}, want: `{"BS":["aGk="]}`},
		{name: "BOOL", in: &streamtypes.AttributeValueMemberBOOL{Value: true}, want: `{"BOOL":true}`},
		{name: "NULL", in: &streamtypes.AttributeValueMemberNULL{Value: true}, want: `{"NULL":true}`},
		{
			name: "M",
			in: &streamtypes.AttributeValueMemberM{Value: map[string]streamtypes.AttributeValue{
				"k": &streamtypes.AttributeValueMemberL{Value: []streamtypes.AttributeValue{
					&streamtypes.AttributeValueMemberN{Value: "7"},
					&streamtypes.AttributeValueMemberM{Value: map[string]streamtypes.AttributeValue{"z": &streamtypes.AttributeValueMemberBOOL{Value: false}}},
				}},
			}},
			want: `{"M":{"k":{"L":[{"N":"7"},{"M":{"z":{"BOOL":false}}}]}}}`,
		},
		{name: "unknown member", in: &streamtypes.UnknownUnionMember{Tag: "X"}, want: `{"NULL":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want any
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatalf("want: %v", err)
			}
			if diff := cmp.Diff(want, asJSON(t, attributeValue(tt.in))); diff != "" {
				t.Errorf("attributeValue (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStreamEvent_LambdaShape(t *testing.T) {
	created := time.Unix(1700000000, 0)
	rec := streamtypes.Record{
		AwsRegion:    aws.String("us-east-1"),
		EventID:      aws.String("ev1"),
		EventName:    streamtypes.OperationTypeRemove,
		EventSource:  aws.String("aws:dynamodb"),
		EventVersion: aws.String("1.0"),
		UserIdentity: &streamtypes.Identity{Type: aws.String("Service"), PrincipalId: aws.String("dynamodb.amazonaws.com")},
		Dynamodb: &streamtypes.StreamRecord{
			ApproximateCreationDateTime: &created,
			Keys:                        map[string]streamtypes.AttributeValue{"pk": &streamtypes.AttributeValueMemberS{Value: "a"}},
			OldImage:                    map[string]streamtypes.AttributeValue{"pk": &streamtypes.AttributeValueMemberS{Value: "a"}},
			SequenceNumber:              aws.String("100"),
			SizeBytes:                   aws.Int64(12),
			StreamViewType:              streamtypes.StreamViewTypeNewAndOldImages,
		},
	}
	want := map[string]any{
		"awsRegion": "us-east-1", "eventID": "ev1", "eventName": "REMOVE", "eventSource": "aws:dynamodb",
		"eventVersion": "1.1", "eventSourceARN": "arn:stream",
		"userIdentity": map[string]any{"type": "Service", "principalId": "dynamodb.amazonaws.com"},
		"dynamodb": map[string]any{
			"ApproximateCreationDateTime": float64(1700000000),
			"Keys":                        map[string]any{"pk": map[string]any{"S": "a"}},
			"OldImage":                    map[string]any{"pk": map[string]any{"S": "a"}},
			"SequenceNumber":              "100",
			"SizeBytes":                   float64(12),
			"StreamViewType":              "NEW_AND_OLD_IMAGES",
		},
	}
	if diff := cmp.Diff(any(want), asJSON(t, StreamEvent([]streamtypes.Record{rec}, "arn:stream", "eu-west-1").Records[0])); diff != "" {
		t.Errorf("StreamEvent (-want +got):\n%s", diff)
	}
}

func TestSQSMessage_LambdaShape(t *testing.T) {
	m := sqstypes.Message{
		MessageId:              aws.String("id1"),
		ReceiptHandle:          aws.String("rh"),
		Body:                   aws.String("hello"),
		MD5OfBody:              aws.String("md5"),
		MD5OfMessageAttributes: aws.String("md5a"),
		Attributes:             map[string]string{"ApproximateReceiveCount": "1"},
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			"k": {DataType: aws.String("String"), StringValue: aws.String("v")},
		},
	}
	got := sqsMessage(m, "arn:q", "us-east-1")
	want := events.SQSMessage{
		MessageId: "id1", ReceiptHandle: "rh", Body: "hello", Md5OfBody: "md5", Md5OfMessageAttributes: "md5a",
		Attributes: map[string]string{"ApproximateReceiveCount": "1"},
		MessageAttributes: map[string]events.SQSMessageAttribute{
			"k": {DataType: "String", StringValue: aws.String("v"), StringListValues: []string{}, BinaryListValues: [][]byte{}},
		},
		EventSourceARN: "arn:q", EventSource: "aws:sqs", AWSRegion: "us-east-1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sqsMessage (-want +got):\n%s", diff)
	}
}

func TestSchedulePeriod_Parse(t *testing.T) {
	tests := []struct {
		expr    string
		want    time.Duration
		wantErr string
	}{
		{expr: "rate(1 minute)", want: time.Minute},
		{expr: "rate(5 minutes)", want: 5 * time.Minute},
		{expr: "rate(1 hour)", want: time.Hour},
		{expr: "rate(2 hours)", want: 2 * time.Hour},
		{expr: "rate(1 day)", want: 24 * time.Hour},
		{expr: "rate(7 days)", want: 7 * 24 * time.Hour},
		{expr: "cron(0 3 1 * ? *)", want: cronFallback},
		{expr: "rate(0 days)", wantErr: "not a positive integer"},
		{expr: "rate(1 fortnight)", wantErr: "unknown unit"},
		{expr: "rate(day)", wantErr: "want rate(N unit)"},
		{expr: "every day", wantErr: "want rate(N unit) or cron(...)"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := schedulePeriod(tt.expr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("schedulePeriod error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("schedulePeriod: %v", err)
			}
			if got != tt.want {
				t.Errorf("schedulePeriod = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNewUUID_Format(t *testing.T) {
	a, b := newUUID(), newUUID()
	if a == b {
		t.Fatalf("two UUIDs are equal: %s", a)
	}
	parts := strings.Split(a, "-")
	got := []int{len(parts[0]), len(parts[1]), len(parts[2]), len(parts[3]), len(parts[4])}
	if diff := cmp.Diff([]int{8, 4, 4, 4, 12}, got); diff != "" {
		t.Errorf("uuid %s group lengths (-want +got):\n%s", a, diff)
	}
	if a[14] != '4' {
		t.Errorf("uuid %s is not version 4", a)
	}
}
