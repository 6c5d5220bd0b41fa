package stack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func parseString(t *testing.T, src string) *Template {
	t.Helper()
	tpl, err := ParseTemplate(strings.NewReader(src))
	if err != nil {
		t.Fatalf("ParseTemplate: %v", err)
	}
	return tpl
}

func TestParseTemplateFile_Sections(t *testing.T) {
	tpl, err := ParseTemplateFile("testdata/stack.yaml")
	if err != nil {
		t.Fatalf("ParseTemplateFile: %v", err)
	}

	t.Run("parameters", func(t *testing.T) {
		want := map[string]Parameter{
			"Stage":          {Type: "String", Default: "local", HasDefault: true},
			"AllowPlainHTTP": {Type: "String", Default: "false", HasDefault: true},
		}
		if diff := cmp.Diff(want, tpl.Parameters); diff != "" {
			t.Errorf("Parameters (-want +got):\n%s", diff)
		}
	})

	t.Run("globals", func(t *testing.T) {
		want := map[string]any{
			"TABLE_NAME":       map[string]any{"Ref": "Table"},
			"EVENTS_QUEUE_URL": map[string]any{"Ref": "FulfillmentQueue"},
			"USAGE_BUCKET":     map[string]any{"Ref": "UsageBucket"},
			"STAGE":            map[string]any{"Ref": "Stage"},
			"LOG_LEVEL":        "info",
		}
		if diff := cmp.Diff(want, tpl.Globals.Function.Environment); diff != "" {
			t.Errorf("Globals env (-want +got):\n%s", diff)
		}
		if got := tpl.Globals.Function.Timeout; got != 10 {
			t.Errorf("Globals timeout = %d, want 10", got)
		}
	})

	t.Run("resources", func(t *testing.T) {
		got := map[string]string{}
		for id, r := range tpl.Resources {
			got[id] = r.Type
		}
		want := map[string]string{
			"Table": TypeTable, "FulfillmentDLQ": TypeQueue, "FulfillmentQueue": TypeQueue,
			"UsageDLQ": TypeQueue, "UsageQueue": TypeQueue, "RelayFailureQueue": TypeQueue,
			"UsageQueuePolicy": "AWS::SQS::QueuePolicy", "UsageBucket": TypeBucket,
			"ApiFunction": TypeFunction, "HttpApi": "AWS::Serverless::HttpApi", "RelayFunction": TypeFunction,
			"UsageFunction": TypeFunction, "FulfillmentFunction": TypeFunction, "BillingFunction": TypeFunction,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("resource types (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"UsageQueuePolicy"}, tpl.Resources["UsageBucket"].DependsOn); diff != "" {
			t.Errorf("DependsOn (-want +got):\n%s", diff)
		}
		redrive := tpl.Resources["FulfillmentQueue"].Properties["RedrivePolicy"]
		wantRedrive := map[string]any{
			"deadLetterTargetArn": map[string]any{"Fn::GetAtt": []any{"FulfillmentDLQ", "Arn"}},
			"maxReceiveCount":     5,
		}
		if diff := cmp.Diff(wantRedrive, redrive); diff != "" {
			t.Errorf("RedrivePolicy (-want +got):\n%s", diff)
		}
	})

	t.Run("outputs", func(t *testing.T) {
		if diff := cmp.Diff([]string{"ApiUrl", "TableName", "UsageBucketName"}, keysOf(tpl.Outputs)); diff != "" {
			t.Errorf("Outputs (-want +got):\n%s", diff)
		}
	})
}

func keysOf(m map[string]any) []string {
	return strings.Split(keys(m), ", ")
}

func TestTemplate_Functions(t *testing.T) {
	tpl, err := ParseTemplateFile("testdata/stack.yaml")
	if err != nil {
		t.Fatalf("ParseTemplateFile: %v", err)
	}
	type fnSummary struct {
		LogicalID string
		Timeout   int
		EnvKeys   []string
		Events    []EventSource
	}
	var got []fnSummary
	for _, f := range tpl.Functions() {
		env := make(map[string]any, len(f.Environment))
		for k, v := range f.Environment {
			env[k] = v
		}
		got = append(got, fnSummary{LogicalID: f.LogicalID, Timeout: f.Timeout, EnvKeys: keysOf(env), Events: f.Events})
	}
	globals := []string{"EVENTS_QUEUE_URL", "LOG_LEVEL", "STAGE", "TABLE_NAME", "USAGE_BUCKET"}
	want := []fnSummary{
		{
			LogicalID: "ApiFunction", Timeout: 10,
			EnvKeys: []string{"ALLOW_PLAIN_HTTP", "EVENTS_QUEUE_URL", "LOG_LEVEL", "PUBLIC_URL", "STAGE", "TABLE_NAME", "USAGE_BUCKET"},
			Events:  []EventSource{{Name: "Any", Type: EventHttpApi}},
		},
		{
			LogicalID: "BillingFunction", Timeout: 60, EnvKeys: globals,
			Events: []EventSource{
				{Name: "Daily", Type: EventSchedule, Schedule: &ScheduleSource{Expression: "rate(1 day)", Enabled: true}},
				{Name: "Monthly", Type: EventSchedule, Schedule: &ScheduleSource{Expression: "cron(0 3 1 * ? *)", Enabled: true}},
			},
		},
		{
			LogicalID: "FulfillmentFunction", Timeout: 10, EnvKeys: globals,
			Events: []EventSource{{Name: "Events", Type: EventSQS, SQS: &SQSSource{
				QueueLogicalID: "FulfillmentQueue", BatchSize: 20, MaximumBatchingWindowInSeconds: 2,
				FunctionResponseTypes: []string{ReportBatchItemFailures},
			}}},
		},
		{
			LogicalID: "RelayFunction", Timeout: 30,
			EnvKeys: []string{"EVENTS_QUEUE_URL", "FAILURE_QUEUE_URL", "FULFILLMENT_QUEUE_ARN", "JOINED", "LITERAL", "LOG_LEVEL",
				"OBJECT_PREFIX", "STACK_INFO", "STAGE", "STREAM_ARN", "TABLE_NAME", "USAGE_BUCKET", "USAGE_QUEUE_ARN"},
			Events: []EventSource{{Name: "Stream", Type: EventDynamoDB, DynamoDB: &StreamSource{
				TableLogicalID: "Table", StartingPosition: "TRIM_HORIZON", BatchSize: 50, MaximumRetryAttempts: 3,
				BisectBatchOnFunctionError: true, FunctionResponseTypes: []string{ReportBatchItemFailures},
				OnFailureQueueLogicalID: "RelayFailureQueue",
			}}},
		},
		{
			LogicalID: "UsageFunction", Timeout: 10, EnvKeys: globals,
			Events: []EventSource{
				{Name: "Nightly", Type: EventSchedule, Schedule: &ScheduleSource{Expression: "rate(1 day)", Enabled: false}},
				{Name: "Uploads", Type: EventSQS, SQS: &SQSSource{
					QueueLogicalID: "UsageQueue", BatchSize: 5, FunctionResponseTypes: []string{ReportBatchItemFailures},
				}},
			},
		},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(EventSource{}, "Properties")); diff != "" {
		t.Errorf("Functions (-want +got):\n%s", diff)
	}

	relay, _ := tpl.Function("RelayFunction")
	if diff := cmp.Diff("debug", relay.Environment["LOG_LEVEL"]); diff != "" {
		t.Errorf("function env must win over Globals (-want +got):\n%s", diff)
	}
}

func TestTemplate_FunctionsDefaults(t *testing.T) {
	tpl := parseString(t, `
Resources:
  Q:
    Type: AWS::SQS::Queue
  T:
    Type: AWS::DynamoDB::Table
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Q:
          Type: SQS
          Properties:
            Queue: !GetAtt [Q, Arn]
        S:
          Type: DynamoDB
          Properties:
            Stream: {"Fn::GetAtt": ["T", "StreamArn"]}
        K:
          Type: Kinesis
          Properties:
            Stream: arn:aws:kinesis:us-east-1:1:stream/x
`)
	want := []Function{{
		LogicalID: "F", Timeout: 3, Environment: map[string]any{},
		Events: []EventSource{
			{Name: "K", Type: "Kinesis"},
			{Name: "Q", Type: EventSQS, SQS: &SQSSource{QueueLogicalID: "Q", BatchSize: 10}},
			{Name: "S", Type: EventDynamoDB, DynamoDB: &StreamSource{
				TableLogicalID: "T", StartingPosition: "TRIM_HORIZON", BatchSize: 100, MaximumRetryAttempts: -1,
			}},
		},
	}}
	if diff := cmp.Diff(want, tpl.Functions(), cmpopts.IgnoreFields(EventSource{}, "Properties")); diff != "" {
		t.Errorf("Functions (-want +got):\n%s", diff)
	}
}

func TestParseTemplate_Intrinsics(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want any
	}{
		{name: "ref", yaml: `!Ref Table`, want: map[string]any{"Ref": "Table"}},
		{name: "getatt dotted", yaml: `!GetAtt Table.StreamArn`, want: map[string]any{"Fn::GetAtt": []any{"Table", "StreamArn"}}},
		{name: "getatt list", yaml: `!GetAtt [Queue, Arn]`, want: map[string]any{"Fn::GetAtt": []any{"Queue", "Arn"}}},
		{name: "sub string", yaml: `!Sub "${AWS::StackName}-x"`, want: map[string]any{"Fn::Sub": "${AWS::StackName}-x"}},
		{
			name: "sub list with nested ref",
			yaml: "!Sub\n  - \"${A}-${B}\"\n  - A: !Ref P\n    B: lit",
			want: map[string]any{"Fn::Sub": []any{"${A}-${B}", map[string]any{"A": map[string]any{"Ref": "P"}, "B": "lit"}}},
		},
		{
			name: "join",
			yaml: `!Join [",", [a, !Ref P]]`,
			want: map[string]any{"Fn::Join": []any{",", []any{"a", map[string]any{"Ref": "P"}}}},
		},
		{
			name: "if kept in long form",
			yaml: `!If [IsProd, a, b]`,
			want: map[string]any{"Fn::If": []any{"IsProd", "a", "b"}},
		},
		{name: "ref of number-like name stays string", yaml: `!Ref 123`, want: map[string]any{"Ref": "123"}},
		{name: "plain scalars keep yaml types", yaml: `[1, "1", true, x]`, want: []any{1, "1", true, "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "Resources:\n  R:\n    Type: Custom::X\n    Properties:\n      V: " + indent(tt.yaml) + "\n"
			tpl := parseString(t, src)
			if diff := cmp.Diff(tt.want, tpl.Resources["R"].Properties["V"]); diff != "" {
				t.Errorf("value (-want +got):\n%s", diff)
			}
		})
	}
}

// indent makes a multi-line YAML value fit under "      V: ".
func indent(s string) string {
	return strings.ReplaceAll(s, "\n", "\n        ")
}

func TestParseTemplate_Errors(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string
	}{
		{name: "not yaml", yaml: "a: [", wantErr: "parse template yaml"},
		{name: "no resources", yaml: "Description: x\n", wantErr: "no Resources"},
		{name: "resource without type", yaml: "Resources:\n  R:\n    Properties: {}\n", wantErr: "resource R: no Type"},
		{name: "getatt without dot", yaml: "Resources:\n  R:\n    Type: X\n    Properties:\n      A: !GetAtt Foo\n", wantErr: "want Resource.Attribute"},
		{
			name:    "sqs queue not from template",
			yaml:    "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E:\n          Type: SQS\n          Properties:\n            Queue: arn:aws:sqs:us-east-1:1:q\n",
			wantErr: "function F: event E: property Queue",
		},
		{
			name:    "stream of undeclared table",
			yaml:    "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E:\n          Type: DynamoDB\n          Properties:\n            Stream: !GetAtt Nope.StreamArn\n",
			wantErr: "resource Nope is not declared",
		},
		{
			name:    "sqs queue of wrong type",
			yaml:    "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E:\n          Type: SQS\n          Properties:\n            Queue: !GetAtt T.Arn\n",
			wantErr: "resource T is a AWS::DynamoDB::Table, want AWS::SQS::Queue",
		},
		{
			name:    "bad batch size",
			yaml:    "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E:\n          Type: SQS\n          Properties:\n            Queue: !GetAtt Q.Arn\n            BatchSize: lots\n",
			wantErr: `BatchSize: "lots" is not an integer`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTemplate(strings.NewReader(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseTemplate error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// fakeResolver resolves against fixed resource values instead of a stack.
func fakeResolver(t *testing.T) *resolver {
	t.Helper()
	tpl := parseString(t, `
Parameters:
  Stage: {Type: String, Default: local}
  NoDefault: {Type: String}
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Table: {Type: AWS::DynamoDB::Table}
  Api: {Type: AWS::Serverless::HttpApi}
`)
	refs := map[string]string{"Queue": "http://emu/123/q", "Table": "t1-table"}
	atts := map[string]string{"Queue.Arn": "arn:aws:sqs:us-east-1:123:q", "Table.StreamArn": "arn:stream"}
	return &resolver{
		tpl:    tpl,
		params: map[string]string{"Stage": "dev"},
		pseudo: map[string]string{"AWS::StackName": "st", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::URLSuffix": "amazonaws.com"},
		ref: func(_ context.Context, id string) (string, error) {
			if v, ok := refs[id]; ok {
				return v, nil
			}
			return "", errors.New("no physical id")
		},
		getAtt: func(_ context.Context, id, attr string) (string, error) {
			if v, ok := atts[id+"."+attr]; ok {
				return v, nil
			}
			return "", fmt.Errorf("%s.%s unsupported", id, attr)
		},
	}
}

func TestResolver_Resolve(t *testing.T) {
	r := fakeResolver(t)
	ref := func(n string) any { return map[string]any{"Ref": n} }
	tests := []struct {
		name    string
		in      any
		want    string
		wantErr string
	}{
		{name: "plain string", in: "x", want: "x"},
		{name: "number", in: 30, want: "30"},
		{name: "bool", in: true, want: "true"},
		{name: "ref parameter", in: ref("Stage"), want: "dev"},
		{name: "ref parameter without value", in: ref("NoDefault"), wantErr: "parameter NoDefault has no value"},
		{name: "ref resource", in: ref("Queue"), want: "http://emu/123/q"},
		{name: "ref pseudo", in: ref("AWS::Region"), want: "us-east-1"},
		{name: "ref unknown pseudo", in: ref("AWS::NotificationARNs"), wantErr: "pseudo parameter AWS::NotificationARNs"},
		{name: "ref unknown", in: ref("Nope"), wantErr: "reference Nope: no such parameter or resource"},
		{name: "ref uncreated resource", in: ref("Api"), wantErr: "no physical id"},
		{name: "getatt", in: map[string]any{"Fn::GetAtt": []any{"Table", "StreamArn"}}, want: "arn:stream"},
		{name: "getatt unknown resource", in: map[string]any{"Fn::GetAtt": []any{"Nope", "Arn"}}, wantErr: "Nope.Arn: no such resource"},
		{name: "sub pseudo", in: map[string]any{"Fn::Sub": "${AWS::StackName}/${AWS::Region}/${AWS::AccountId}.${AWS::URLSuffix}"}, want: "st/us-east-1/123456789012.amazonaws.com"},
		{name: "sub param and resource", in: map[string]any{"Fn::Sub": "${Stage}:${Table}"}, want: "dev:t1-table"},
		{name: "sub getatt", in: map[string]any{"Fn::Sub": "q=${Queue.Arn}"}, want: "q=arn:aws:sqs:us-east-1:123:q"},
		{name: "sub literal", in: map[string]any{"Fn::Sub": "${!Literal}-${Stage}"}, want: "${Literal}-dev"},
		{name: "sub no vars", in: map[string]any{"Fn::Sub": "plain"}, want: "plain"},
		{
			name: "sub list vars shadow",
			in:   map[string]any{"Fn::Sub": []any{"${Stage}-${X}", map[string]any{"Stage": "override", "X": ref("Table")}}},
			want: "override-t1-table",
		},
		{name: "sub unknown var", in: map[string]any{"Fn::Sub": "a-${Missing}"}, wantErr: "${Missing}"},
		{name: "sub unterminated", in: map[string]any{"Fn::Sub": "a-${Stage"}, wantErr: "unterminated"},
		{name: "join", in: map[string]any{"Fn::Join": []any{",", []any{"a", ref("Stage"), 1}}}, want: "a,dev,1"},
		{name: "if unsupported", in: map[string]any{"Fn::If": []any{"C", "a", "b"}}, wantErr: "Fn::If is not supported"},
		{name: "mapping", in: map[string]any{"a": 1, "b": 2}, wantErr: "keys a, b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.resolve(context.Background(), tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("resolve error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("resolve (-want +got):\n%s", diff)
			}
		})
	}
}
