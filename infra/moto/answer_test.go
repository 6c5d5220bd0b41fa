package moto_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mercato-dev/mercato/infra/moto"
)

// TestShim_Answers checks the answers the shim writes itself, without
// moto's shape walk: the item operations' results, consumed capacity (a
// float) included, and only the members of the operation's output shape
// (moto's DeleteItem result holds a ConsumedCapacityUnits no shape has).
func TestShim_Answers(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	cfg, err := moto.AWSConfig(ctx, srv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	createTable(ctx, t, dynamodb.NewFromConfig(cfg), pkSKTable("shim-answers"))
	call := func(t *testing.T, action, body string) map[string]any {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.Endpoint(), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+action)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s %v", action, res.StatusCode, raw, err)
		}
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s: %s: %v", action, raw, err)
		}
		return out
	}
	item := `{"pk":{"S":"a"},"sk":{"S":"1"},"n":{"N":"1.5"}}`
	key := `{"pk":{"S":"a"},"sk":{"S":"1"}}`
	tests := []struct {
		action, body string
		members      []string // the answer's top-level members, sorted
	}{
		{"PutItem", `{"TableName":"shim-answers","Item":` + item + `,"ReturnConsumedCapacity":"TOTAL"}`, []string{"ConsumedCapacity"}},
		{"GetItem", `{"TableName":"shim-answers","Key":` + key + `,"ReturnConsumedCapacity":"TOTAL"}`, []string{"ConsumedCapacity", "Item"}},
		{"Query", `{"TableName":"shim-answers","KeyConditionExpression":"pk = :v","ExpressionAttributeValues":{":v":{"S":"a"}},"ReturnConsumedCapacity":"TOTAL"}`,
			[]string{"ConsumedCapacity", "Count", "Items", "ScannedCount"}},
		{"DeleteItem", `{"TableName":"shim-answers","Key":` + key + `,"ReturnValues":"ALL_OLD"}`, []string{"Attributes"}},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			out := call(t, tt.action, tt.body)
			got := make([]string, 0, len(out))
			for k := range out {
				got = append(got, k)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.members) {
				t.Errorf("members = %v, want %v (answer %v)", got, tt.members, out)
			}
			if cc, ok := out["ConsumedCapacity"].(map[string]any); ok {
				if u, ok := cc["CapacityUnits"].(float64); !ok || u <= 0 {
					t.Errorf("ConsumedCapacity = %v, want positive CapacityUnits", cc)
				}
			}
		})
	}
}
