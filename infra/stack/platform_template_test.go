package stack

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"github.com/mercato-dev/mercato/internal/httpapi/files"
	"github.com/mercato-dev/mercato/internal/httpapi/render"
)

// These tests pin what the issue asks of template.yaml, so that an edit that
// drops a DLQ, shortens a visibility timeout or opens the bucket fails here
// and not in production.

func platformTemplate(t *testing.T) *Template {
	t.Helper()
	tpl, err := ParseTemplateFile("../../template.yaml")
	if err != nil {
		t.Fatalf("ParseTemplateFile: %v", err)
	}
	return tpl
}

func TestPlatformTemplate_Globals(t *testing.T) {
	tpl := platformTemplate(t)
	g := tpl.Globals.Function.Properties
	got := []any{g["Runtime"], g["Architectures"], g["Handler"]}
	want := []any{"provided.al2023", []any{"arm64"}, "bootstrap"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Globals.Function Runtime, Architectures, Handler (-want +got):\n%s", diff)
	}
}

func TestPlatformTemplate_Functions(t *testing.T) {
	tpl := platformTemplate(t)
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatalf("read Makefile: %v", err)
	}
	var ids []string
	for _, fn := range tpl.Functions() {
		ids = append(ids, fn.LogicalID)
		meta := asMap(asMap(asMap(tpl.raw["Resources"])[fn.LogicalID])["Metadata"])
		if got := asString(meta["BuildMethod"]); got != "makefile" {
			t.Errorf("%s: Metadata.BuildMethod = %q, want makefile", fn.LogicalID, got)
		}
		if !strings.Contains(string(makefile), "\nbuild-"+fn.LogicalID+":") {
			t.Errorf("%s: the Makefile has no build-%s target for sam build", fn.LogicalID, fn.LogicalID)
		}
		for _, key := range []string{"Runtime", "Architectures", "Handler"} {
			if _, ok := tpl.Resources[fn.LogicalID].Properties[key]; ok {
				t.Errorf("%s overrides Globals %s", fn.LogicalID, key)
			}
		}
	}
	want := []string{"ApiFunction", "BillingFunction", "DispatcherFunction", "FilesFunction", "FulfillmentFunction", "RelayFunction", "RenderFunction", "UsageFunction"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("functions (-want +got):\n%s", diff)
	}
}

func TestPlatformTemplate_QueueSources(t *testing.T) {
	tpl := platformTemplate(t)
	sources := 0
	for _, fn := range tpl.Functions() {
		for _, ev := range fn.Events {
			if ev.SQS == nil {
				continue
			}
			sources++
			name := fmt.Sprintf("%s.%s (%s)", fn.LogicalID, ev.Name, ev.SQS.QueueLogicalID)
			if !ev.SQS.ReportsBatchItemFailures() {
				t.Errorf("%s: no ReportBatchItemFailures", name)
			}
			q := tpl.Resources[ev.SQS.QueueLogicalID].Properties
			vis, err := optionalInt(q, "VisibilityTimeout", 30)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if vis < 6*fn.Timeout {
				t.Errorf("%s: VisibilityTimeout %d < 6 x function Timeout %d", name, vis, fn.Timeout)
			}
			redrive := asMap(q["RedrivePolicy"])
			dlq, err := getAttTarget(redrive["deadLetterTargetArn"], "Arn")
			if err != nil {
				t.Errorf("%s: RedrivePolicy.deadLetterTargetArn: %v", name, err)
			} else if tpl.Resources[dlq].Type != TypeQueue || dlq == ev.SQS.QueueLogicalID {
				t.Errorf("%s: dead-letter target %s is not another queue of the template", name, dlq)
			}
			if n, err := optionalInt(redrive, "maxReceiveCount", 0); err != nil || n < 1 {
				t.Errorf("%s: RedrivePolicy.maxReceiveCount = %v (%v), want >= 1", name, redrive["maxReceiveCount"], err)
			}
		}
	}
	// fulfillment, webhook deliveries, usage-file notifications, billing
	if sources < 4 {
		t.Errorf("%d SQS event sources, want at least 4", sources)
	}
}

func TestPlatformTemplate_StreamSource(t *testing.T) {
	tpl := platformTemplate(t)
	var streams []string
	for _, fn := range tpl.Functions() {
		for _, ev := range fn.Events {
			if ev.DynamoDB == nil {
				continue
			}
			streams = append(streams, fn.LogicalID)
			s := ev.DynamoDB
			if q := s.OnFailureQueueLogicalID; q == "" || tpl.Resources[q].Type != TypeQueue {
				t.Errorf("%s: stream source has no on-failure queue destination (%q)", fn.LogicalID, q)
			}
			if !s.ReportsBatchItemFailures() {
				t.Errorf("%s: stream source without ReportBatchItemFailures", fn.LogicalID)
			}
			if s.MaximumRetryAttempts < 0 {
				t.Errorf("%s: stream retries are unbounded; a poison record would block the shard", fn.LogicalID)
			}
		}
	}
	if diff := cmp.Diff([]string{"RelayFunction"}, streams); diff != "" {
		t.Errorf("stream consumers (-want +got):\n%s", diff)
	}
}

func TestPlatformTemplate_Table(t *testing.T) {
	tpl := platformTemplate(t)
	ids := tpl.LogicalIDs(TypeTable)
	if len(ids) != 1 {
		t.Fatalf("tables = %v, want one", ids)
	}
	p := tpl.Resources[ids[0]].Properties
	var keys []string
	for _, k := range asSlice(p["KeySchema"]) {
		keys = append(keys, asString(asMap(k)["AttributeName"])+" "+asString(asMap(k)["KeyType"]))
	}
	got := map[string]any{
		"BillingMode":    p["BillingMode"],
		"KeySchema":      keys,
		"GSIs>=2":        len(asSlice(p["GlobalSecondaryIndexes"])) >= 2,
		"StreamViewType": asMap(p["StreamSpecification"])["StreamViewType"],
		"TTL enabled":    asMap(p["TimeToLiveSpecification"])["Enabled"],
		"TTL attribute":  asMap(p["TimeToLiveSpecification"])["AttributeName"] != nil,
		"PITR":           asMap(p["PointInTimeRecoverySpecification"])["PointInTimeRecoveryEnabled"],
	}
	want := map[string]any{
		"BillingMode":    "PAY_PER_REQUEST",
		"KeySchema":      []string{"pk HASH", "sk RANGE"},
		"GSIs>=2":        true,
		"StreamViewType": "NEW_AND_OLD_IMAGES",
		"TTL enabled":    true,
		"TTL attribute":  true,
		"PITR":           true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table %s (-want +got):\n%s", ids[0], diff)
	}
	// The webhook deliveries index projects only what their list filters
	// on: a wider projection would cost every delivery write more.
	var gsi7 map[string]any
	for _, g := range asSlice(p["GlobalSecondaryIndexes"]) {
		if asString(asMap(g)["IndexName"]) == "gsi7" {
			gsi7 = asMap(asMap(g)["Projection"])
		}
	}
	if asString(gsi7["ProjectionType"]) != "INCLUDE" || fmt.Sprint(gsi7["NonKeyAttributes"]) != "[status event_type]" {
		t.Errorf("gsi7 projection = %v, want INCLUDE of status and event_type", gsi7)
	}
}

func TestPlatformTemplate_Bucket(t *testing.T) {
	tpl := platformTemplate(t)
	ids := tpl.LogicalIDs(TypeBucket)
	if len(ids) == 0 {
		t.Fatal("no bucket")
	}
	for _, id := range ids {
		p := tpl.Resources[id].Properties
		block := asMap(p["PublicAccessBlockConfiguration"])
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if block[k] != true {
				t.Errorf("%s: PublicAccessBlockConfiguration.%s = %v, want true", id, k, block[k])
			}
		}
		rules := asSlice(asMap(p["BucketEncryption"])["ServerSideEncryptionConfiguration"])
		algos := []string{}
		for _, r := range rules {
			algos = append(algos, asString(asMap(asMap(r)["ServerSideEncryptionByDefault"])["SSEAlgorithm"]))
		}
		if len(algos) == 0 || slices.Contains(algos, "") {
			t.Errorf("%s: BucketEncryption default algorithms = %v, want one set", id, algos)
		}
		notes := asSlice(asMap(p["NotificationConfiguration"])["QueueConfigurations"])
		if len(notes) == 0 {
			t.Errorf("%s: no ObjectCreated notification to a queue", id)
		}
		for _, n := range notes {
			q, err := getAttTarget(asMap(n)["Queue"], "Arn")
			if err != nil || tpl.Resources[q].Type != TypeQueue || !strings.HasPrefix(asString(asMap(n)["Event"]), "s3:ObjectCreated:") {
				t.Errorf("%s: notification %v is not ObjectCreated to a queue of the template", id, n)
			}
		}
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestPlatformTemplate_TablePolicies pins each function's DynamoDB actions:
// item actions on the table only (each listed because the function's code
// calls it; see the comments in template.yaml), and Query alone on indexes.
// Moto does not enforce IAM, so an action missing here shows only in AWS:
// change a list together with the code path that needs it.
func TestPlatformTemplate_TablePolicies(t *testing.T) {
	tpl := platformTemplate(t)
	tableArn := map[string]any{"Fn::GetAtt": []any{"Table", "Arn"}}
	indexArn := map[string]any{"Fn::Sub": "${Table.Arn}/index/*"}
	want := map[string][2][]string{ // function → {table actions, index actions}
		"ApiFunction":         {{"BatchGetItem", "ConditionCheckItem", "DeleteItem", "GetItem", "PutItem", "Query", "UpdateItem"}, {"Query"}},
		"RelayFunction":       {{"BatchGetItem", "GetItem", "UpdateItem"}, nil},
		"RenderFunction":      {{"GetItem"}, nil},
		"FilesFunction":       {{"BatchGetItem", "GetItem", "PutItem", "Query", "UpdateItem"}, {"Query"}},
		"FulfillmentFunction": {{"BatchGetItem", "DeleteItem", "GetItem", "PutItem", "Query"}, {"Query"}},
		"DispatcherFunction":  {{"BatchGetItem", "GetItem", "PutItem", "Query", "UpdateItem"}, {"Query"}},
		"UsageFunction":       {{"BatchGetItem", "BatchWriteItem", "GetItem", "PutItem", "Query"}, {"Query"}},
		"BillingFunction":     {{"BatchGetItem", "BatchWriteItem", "GetItem", "PutItem", "Query", "UpdateItem"}, {"Query"}},
	}
	got := map[string][2][]string{}
	for _, fn := range tpl.Functions() {
		var table, index []string
		for _, pol := range asSlice(tpl.Resources[fn.LogicalID].Properties["Policies"]) {
			for _, st := range asSlice(asMap(pol)["Statement"]) {
				actions, err := stringList(asMap(st)["Action"])
				if err != nil {
					t.Fatalf("%s: Action: %v", fn.LogicalID, err)
				}
				resources := asSlice(asMap(st)["Resource"])
				if r, ok := asMap(st)["Resource"].(map[string]any); ok {
					resources = []any{r}
				}
				for _, a := range actions {
					name, ok := strings.CutPrefix(a, "dynamodb:")
					if !ok {
						continue
					}
					for _, r := range resources {
						switch {
						case cmp.Equal(r, any(tableArn)):
							table = append(table, name)
						case cmp.Equal(r, any(indexArn)):
							index = append(index, name)
						default:
							t.Errorf("%s: %s on an unexpected resource %v", fn.LogicalID, a, r)
						}
					}
				}
			}
		}
		slices.Sort(table)
		slices.Sort(index)
		got[fn.LogicalID] = [2][]string{table, index}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DynamoDB actions by function, {table, indexes} (-want +got):\n%s", diff)
	}
}

// translated runs template.yaml through the SAM translator (aws-sam-translator,
// in the Python that ships cfn-lint) and returns its resources. Without that
// Python the test skips, except in CI.
func translated(t *testing.T) map[string]any {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(python, "-c", "import samtranslator").Run()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("aws-sam-translator is not importable from python3: %v", err)
		}
		t.Skipf("aws-sam-translator is not importable from python3: %v", err)
	}
	cmd := exec.Command(python, "testdata/sam_translate.py", "../../template.yaml")
	cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("SAM translator: %v\n%s", err, stderr.String())
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("translator output: %v", err)
	}
	return asMap(doc["Resources"])
}

func TestPlatformTemplate_Translated(t *testing.T) {
	resources := translated(t)
	alarms := map[string]map[string]any{}
	for id, r := range resources {
		if asString(asMap(r)["Type"]) == "AWS::CloudWatch::Alarm" {
			alarms[id] = asMap(asMap(r)["Properties"])
		}
	}
	want := []string{
		"Api5xxRateAlarm", "ApiLatencyAlarm", "BillingDLQAlarm", "FulfillmentDLQAlarm", "FunctionErrorsAlarm",
		"FunctionThrottlesAlarm", "RelayFailureQueueAlarm", "RelayIteratorAgeAlarm", "UsageDLQAlarm",
		"UsageProcessingFailedAlarm", "WebhookDLQAlarm", "WebhookFailureRateAlarm",
	}
	if diff := cmp.Diff(want, slices.Sorted(maps.Keys(alarms))); diff != "" {
		t.Errorf("alarms of the translated template (-want +got):\n%s", diff)
	}
	topic := map[string]any{"Fn::If": []any{"HasAlarmTopic", []any{map[string]any{"Ref": "AlarmTopicArn"}}, map[string]any{"Ref": "AWS::NoValue"}}}
	for id, p := range alarms {
		if !cmp.Equal(p["AlarmActions"], any(topic)) || !cmp.Equal(p["OKActions"], any(topic)) {
			t.Errorf("%s: AlarmActions %v, OKActions %v: want the optional AlarmTopicArn", id, p["AlarmActions"], p["OKActions"])
		}
	}
	// Every DLQ and the stream's failure queue has its alarm.
	tpl := platformTemplate(t)
	for _, q := range tpl.LogicalIDs(TypeQueue) {
		if strings.HasSuffix(q, "DLQ") || q == "RelayFailureQueue" {
			if _, ok := alarms[q+"Alarm"]; !ok {
				t.Errorf("queue %s has no alarm", q)
			}
		}
	}

	var functions, traced int
	var stages []map[string]any
	for _, r := range resources {
		p := asMap(asMap(r)["Properties"])
		switch asString(asMap(r)["Type"]) {
		case "AWS::Lambda::Function":
			functions++
			if asMap(p["TracingConfig"])["Mode"] == "Active" {
				traced++
			}
		case "AWS::ApiGatewayV2::Stage":
			stages = append(stages, p)
		}
	}
	if functions != 8 || traced != functions {
		t.Errorf("%d of %d functions have active tracing, want all 8", traced, functions)
	}
	if len(stages) != 1 {
		t.Fatalf("%d HTTP API stages, want 1", len(stages))
	}
	gotThrottle := asMap(stages[0]["DefaultRouteSettings"])
	wantThrottle := map[string]any{
		"ThrottlingRateLimit":  map[string]any{"Ref": "ApiThrottleRateLimit"},
		"ThrottlingBurstLimit": map[string]any{"Ref": "ApiThrottleBurstLimit"},
	}
	if diff := cmp.Diff(wantThrottle, gotThrottle); diff != "" {
		t.Errorf("stage DefaultRouteSettings (-want +got):\n%s", diff)
	}
}

// TestPlatformTemplate_EmulatorLeavesAlarmsOut: the alarms are AWS-only, and
// no resource the emulator gets refers to one.
func TestPlatformTemplate_EmulatorLeavesAlarmsOut(t *testing.T) {
	tpl := platformTemplate(t)
	ids, err := tpl.EmulatorResourceIDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if tpl.Resources[id].Type == "AWS::CloudWatch::Alarm" {
			t.Errorf("the emulator body keeps alarm %s", id)
		}
	}
	if !slices.Contains(ids, "WebhookDLQ") {
		t.Errorf("the emulator body lost WebhookDLQ: %v", ids)
	}
}

// TestPlatformTemplate_HTTPRoutes: the gateway sends the render routes'
// paths (render.Routes) to RenderFunction and the files routes' paths
// (files.Routes) to FilesFunction, with any method so that each function
// answers a wrong one with its 405, and everything else to ApiFunction's
// proxy; no other function has an HTTP route.
func TestPlatformTemplate_HTTPRoutes(t *testing.T) {
	tpl := platformTemplate(t)
	got := map[string][]string{}
	for _, fn := range tpl.Functions() {
		for _, ev := range fn.Events {
			if ev.Type == EventHttpApi {
				got[fn.LogicalID] = append(got[fn.LogicalID], asString(ev.Properties["Method"])+" "+asString(ev.Properties["Path"]))
			}
		}
		slices.Sort(got[fn.LogicalID])
	}
	anyMethod := func(routes []endpoint.Route) []string {
		var paths []string
		for _, rt := range routes {
			if !slices.Contains(paths, "ANY "+rt.Path) {
				paths = append(paths, "ANY "+rt.Path)
			}
		}
		slices.Sort(paths)
		return paths
	}
	want := map[string][]string{"ApiFunction": {"ANY /", "ANY /{proxy+}"},
		"RenderFunction": anyMethod(render.Routes(render.Config{})), "FilesFunction": anyMethod(files.Routes(files.Config{}))}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HTTP API routes by function (-want +got):\n%s", diff)
	}
}

// TestPlatformTemplate_FunctionAlarms: the errors and throttles alarms sum
// every function of the template.
func TestPlatformTemplate_FunctionAlarms(t *testing.T) {
	tpl := platformTemplate(t)
	var want []string
	for _, fn := range tpl.Functions() {
		want = append(want, fn.LogicalID)
	}
	for _, alarm := range []string{"FunctionErrorsAlarm", "FunctionThrottlesAlarm"} {
		var got []string
		for _, m := range asSlice(tpl.Resources[alarm].Properties["Metrics"]) {
			for _, d := range asSlice(asMap(asMap(asMap(asMap(m)["MetricStat"])["Metric"]))["Dimensions"]) {
				got = append(got, asString(asMap(asMap(d)["Value"])["Ref"]))
			}
		}
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: functions (-want +got):\n%s", alarm, diff)
		}
	}
}
