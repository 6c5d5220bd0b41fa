package stack

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// emulatorDoc derives tpl's emulator body and decodes it.
func emulatorDoc(t *testing.T, tpl *Template) map[string]any {
	t.Helper()
	body, err := tpl.EmulatorBody()
	if err != nil {
		t.Fatalf("EmulatorBody: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("EmulatorBody is not JSON: %v\n%s", err, body)
	}
	return doc
}

func TestTemplate_EmulatorBody(t *testing.T) {
	tpl, err := ParseTemplateFile("../../template.yaml")
	if err != nil {
		t.Fatalf("ParseTemplateFile: %v", err)
	}
	doc := emulatorDoc(t, tpl)
	resources := asMap(doc["Resources"])

	t.Run("no SAM", func(t *testing.T) {
		for _, key := range []string{"Transform", "Globals"} {
			if _, ok := doc[key]; ok {
				t.Errorf("body keeps %s", key)
			}
		}
		for id, r := range resources {
			if typ := asString(asMap(r)["Type"]); strings.HasPrefix(typ, "AWS::Serverless::") {
				t.Errorf("body keeps %s (%s)", id, typ)
			}
		}
	})

	t.Run("every queue, table and bucket kept", func(t *testing.T) {
		var ids []string
		for _, typ := range []string{TypeQueue, TypeTable, TypeBucket} {
			ids = append(ids, tpl.LogicalIDs(typ)...)
		}
		if len(ids) < 10 {
			t.Fatalf("template.yaml has only %d queues, tables and buckets: %v", len(ids), ids)
		}
		body, err := tpl.EmulatorBody()
		if err != nil {
			t.Fatalf("EmulatorBody: %v", err)
		}
		derived, err := ParseTemplate(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("ParseTemplate(emulator body): %v", err)
		}
		for _, id := range ids {
			if diff := cmp.Diff(tpl.Resources[id], derived.Resources[id]); diff != "" {
				t.Errorf("resource %s (-template +body):\n%s", id, diff)
			}
		}
	})

	t.Run("outputs of dropped resources dropped", func(t *testing.T) {
		outputs := asMap(doc["Outputs"])
		for _, name := range []string{"ApiUrl", "ApiFunctionName", "RelayFunctionName", "BillingFunctionName"} {
			if _, ok := outputs[name]; ok {
				t.Errorf("body keeps output %s", name)
			}
		}
		for _, name := range []string{"TableName", "UsageBucketName", "FulfillmentQueueUrl"} {
			if _, ok := outputs[name]; !ok {
				t.Errorf("body lost output %s", name)
			}
		}
	})

	t.Run("cfn-lint accepts it", func(t *testing.T) {
		lint, err := exec.LookPath("cfn-lint")
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("cfn-lint is not on PATH; CI must check the emulator body: %v", err)
			}
			t.Skipf("cfn-lint is not installed: %v", err)
		}
		body, err := tpl.EmulatorBody()
		if err != nil {
			t.Fatalf("EmulatorBody: %v", err)
		}
		path := filepath.Join(t.TempDir(), "emulator.json")
		if err := os.WriteFile(path, body, 0o600); err != nil {
			t.Fatalf("write body: %v", err)
		}
		// W2001 (unused parameter) is expected: the parameters only the
		// functions' environment reads stay, for FunctionEnv.
		out, err := exec.Command(lint, "--ignore-checks", "W2001", "--", path).CombinedOutput()
		if err != nil {
			t.Errorf("cfn-lint on the emulator body: %v\n%s", err, out)
		}
	})
}

func TestTemplate_EmulatorBodyDrops(t *testing.T) {
	tpl := parseString(t, `
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 5
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
  Api:
    Type: AWS::Serverless::HttpApi
  FnAlarmTopic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: !Sub "alarms of ${Fn}"
  FnAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmActions: [!Ref FnAlarmTopic]
  Queue:
    Type: AWS::SQS::Queue
    DependsOn: [Api, Literal]
  Literal:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${!Fn}-${AWS::StackName}"
Outputs:
  Url:
    Value: !GetAtt Api.ApiEndpoint
  QueueUrl:
    Value: !Ref Queue
`)
	doc := emulatorDoc(t, tpl)
	want := map[string]any{
		"Resources": map[string]any{
			"Queue": map[string]any{"Type": TypeQueue, "DependsOn": []any{"Literal"}},
			"Literal": map[string]any{"Type": TypeQueue, "Properties": map[string]any{
				"QueueName": map[string]any{"Fn::Sub": "${!Fn}-${AWS::StackName}"},
			}},
		},
		"Outputs": map[string]any{"QueueUrl": map[string]any{"Value": map[string]any{"Ref": "Queue"}}},
	}
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("emulator body (-want +got):\n%s", diff)
	}
	ids, err := tpl.EmulatorResourceIDs()
	if err != nil {
		t.Fatalf("EmulatorResourceIDs: %v", err)
	}
	if diff := cmp.Diff([]string{"Literal", "Queue"}, ids); diff != "" {
		t.Errorf("EmulatorResourceIDs (-want +got):\n%s", diff)
	}
}

func TestTemplate_EmulatorBodyRejectsOtherSAMTypes(t *testing.T) {
	tpl := parseString(t, `
Transform: AWS::Serverless-2016-10-31
Resources:
  Things:
    Type: AWS::Serverless::SimpleTable
`)
	_, err := tpl.EmulatorBody()
	if err == nil || !strings.Contains(err.Error(), "Things") {
		t.Fatalf("EmulatorBody error = %v, want one naming Things", err)
	}
}
