package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/layout"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// oldIndexEntry is what the deliveries index still holds of a delivery
// that has just moved out of the failed shards: its entry there, beside
// the new one. It is an item of its own, so that the emulator's index,
// which moves an entry at once, holds both.
type oldIndexEntry struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	GSI7PK    string `dynamodbav:"gsi7pk"`
	GSI7SK    string `dynamodbav:"gsi7sk"`
	Status    string `dynamodbav:"status"`
	EventType string `dynamodbav:"event_type"`
}

// A delivery the index holds in both groups of shards, as a list reads it
// while a redelivery moves it from the failed shards to the others, is
// listed once: every page holds it at most once, the pages together hold
// each delivery once, and Content-Range counts it once.
func TestWebhooks_DeliveriesListEachOnce(t *testing.T) {
	a := running(t)
	tn := newTenant(t, a)
	rcv := newReceiver(t)
	w := tn.register(rcv.URL, nil)
	for _, id := range []string{"ORD-1", "ORD-2", "ORD-3"} {
		emit(t, a, tn.id, event.OrderCreated, `{"id":"`+id+`"}`)
	}
	wait(t, "three deliveries", func() bool { return len(tn.deliveries(w.ID, "?status=succeeded")) == 3 })
	var ids []string // newest first
	for _, d := range tn.deliveries(w.ID, "") {
		ids = append(ids, d.ID)
	}
	movedOld(t, a.Table, a.Config.WebhookDeliveryShards, tn.id, w.ID, ids[1])

	tests := []struct {
		name      string
		query     string
		want      []string
		wantRange string
	}{
		{"every delivery", "", ids, "items 0-2/3"},
		{"the first page", "?limit=2", ids[:2], "items 0-1/3"},
		{"the second page", "?limit=2&offset=2", ids[2:], "items 2-2/3"},
		{"the one in both", "?limit=1&offset=1", ids[1:2], "items 1-1/3"},
		{"past the end", "?offset=3", []string{}, "items 3-3/3"},
		{"succeeded only", "?status=succeeded", ids, "items 0-2/3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := stacktest.Call(t, tn.api, http.MethodGet, "/public/v1/webhooks/"+w.ID+"/deliveries"+tt.query, stacktest.APIKey(tn.token), nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
			}
			var ds []webhook.Delivery
			if err := json.Unmarshal(rec.Body.Bytes(), &ds); err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, d := range ds {
				got = append(got, d.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if cr := rec.Header().Get("Content-Range"); cr != tt.wantRange {
				t.Errorf("Content-Range = %q, want %q", cr, tt.wantRange)
			}
		})
	}
}

// movedOld writes the failed shards' entry of delivery id beside the one
// it has, and removes it when the test ends.
func movedOld(t *testing.T, table *dynamo.Table, shards int, account, webhookID, id string) {
	t.Helper()
	if shards <= 0 {
		shards = webhook.DefaultDeliveryShards
	}
	it := oldIndexEntry{
		PK: "OLDENTRY#" + account + "#" + id, SK: "DELIVERY",
		GSI7PK: layout.Deliveries(account, webhookID, true, shards).Key(id), GSI7SK: id,
		Status: webhook.StatusFailed, EventType: string(event.OrderCreated),
	}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := table.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table.Name), Item: av}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		key := dynamo.Key{PK: it.PK, SK: it.SK}
		if _, err := table.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table.Name), Key: key.AV()}); err != nil {
			t.Error(err)
		}
	})
}
