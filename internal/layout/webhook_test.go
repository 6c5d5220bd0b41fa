package layout_test

import (
	"testing"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/layout"
)

// The stored keys must not change with the code that builds them: these are
// the keys a table written before holds.
func TestWebhookKeys(t *testing.T) {
	for _, tt := range []struct {
		name      string
		got, want dynamo.Key
	}{
		{"webhook", layout.WebhookKey("VA-1", "WH-1"), dynamo.Key{PK: "WEBHOOKS#VA-1", SK: "WEBHOOK#WH-1"}},
		{"count", layout.WebhookCountKey("VA-1"), dynamo.Key{PK: "WEBHOOKS#VA-1", SK: "COUNT"}},
		{"delivery", layout.DeliveryKey("VA-1", "WH-1", "DL-1"), dynamo.Key{PK: "WHDELIVERY#VA-1#WH-1#DL-1", SK: "DELIVERY"}},
		{"attempt", layout.AttemptKey("VA-1", "WH-1", "DL-1", 3), dynamo.Key{PK: "WHDELIVERY#VA-1#WH-1#DL-1", SK: "A#0003"}},
		{"stats copy", layout.WebhookStatsKey("VA-1", "WH-1", 5), dynamo.Key{PK: "WHSTATS#VA-1#WH-1#5", SK: "STATS"}},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, tt.got, tt.want)
		}
	}
	if p := layout.Webhooks("VA-1"); p.PK != "WEBHOOKS#VA-1" || p.SKPrefix != "WEBHOOK#" {
		t.Errorf("webhooks partition %+v", p)
	}
}

func TestWebhookStatsKeys(t *testing.T) {
	keys := layout.WebhookStatsKeys("VA-1", "WH-1")
	seen := map[dynamo.Key]bool{}
	for _, k := range keys {
		seen[k] = true
	}
	if len(keys) != layout.WebhookStatsShards || len(seen) != len(keys) {
		t.Errorf("%d keys, %d distinct, want %d", len(keys), len(seen), layout.WebhookStatsShards)
	}
}

func TestDeliveries(t *testing.T) {
	ok, failed := layout.Deliveries("VA-1", "WH-1", false, 128), layout.Deliveries("VA-1", "WH-1", true, 128)
	if ok.Index != "gsi7" || failed.Index != "gsi7" {
		t.Errorf("indexes %q, %q", ok.Index, failed.Index)
	}
	n := dynamo.ShardOf("DL-1", 128)
	if got, want := ok.Key("DL-1"), "WHDELIVERIES#VA-1#WH-1#"+itoa(n); got != want {
		t.Errorf("delivery shard %q, want %q", got, want)
	}
	if got, want := failed.Key("DL-1"), "WHFAILED#VA-1#WH-1#"+itoa(n); got != want {
		t.Errorf("failed shard %q, want %q", got, want)
	}
}

func TestGuard(t *testing.T) {
	n := dynamo.ShardOf("CN-1", layout.GuardShards)
	if got, want := layout.GuardCopy("PRD-1", "CN-1"), (dynamo.Key{PK: "GUARD#PRD-1#" + itoa(n), SK: "GUARD"}); got != want {
		t.Errorf("guard copy %+v, want %+v", got, want)
	}
	copies := layout.GuardCopies("PRD-1")
	if len(copies) != layout.GuardShards || copies[0].PK != "GUARD#PRD-1#0" || copies[n] != layout.GuardCopy("PRD-1", "CN-1") {
		t.Errorf("guard copies %+v", copies)
	}
}
