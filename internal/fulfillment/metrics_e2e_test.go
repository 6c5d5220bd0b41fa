package fulfillment_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mercato-dev/mercato/infra/localrun"
	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/fulfillment"
)

// emfPoint is one data point of an EMF log line: the metric, its unit and
// its dimensions with their values.
type emfPoint struct {
	Namespace, Name, Unit string
	Dims                  map[string]string
	Value                 float64
}

// parseEMF reads the log as CloudWatch does: every line that is a JSON
// object with _aws.CloudWatchMetrics is a set of data points, whose values
// and dimension values are members of the line. A line that claims a metric
// or dimension it does not carry fails the test.
func parseEMF(t *testing.T, log string) []emfPoint {
	t.Helper()
	var out []emfPoint
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var doc map[string]any
		if json.Unmarshal(sc.Bytes(), &doc) != nil {
			continue
		}
		meta, ok := doc["_aws"].(map[string]any)
		if !ok {
			continue
		}
		if _, ok := meta["Timestamp"].(float64); !ok {
			t.Errorf("EMF line without a numeric Timestamp: %s", sc.Text())
		}
		var directives []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
		raw, _ := json.Marshal(meta["CloudWatchMetrics"])
		if err := json.Unmarshal(raw, &directives); err != nil || len(directives) == 0 {
			t.Errorf("EMF line with bad CloudWatchMetrics (%v): %s", err, sc.Text())
			continue
		}
		for _, d := range directives {
			for _, m := range d.Metrics {
				v, ok := doc[m.Name].(float64)
				if !ok {
					t.Errorf("EMF line declares %s but has no numeric value for it: %s", m.Name, sc.Text())
				}
				for _, set := range d.Dimensions {
					dims := map[string]string{}
					for _, name := range set {
						s, ok := doc[name].(string)
						if !ok {
							t.Errorf("EMF line declares dimension %s without a string value: %s", name, sc.Text())
						}
						dims[name] = s
					}
					out = append(out, emfPoint{Namespace: d.Namespace, Name: m.Name, Unit: m.Unit, Dims: dims, Value: v})
				}
			}
		}
	}
	return out
}

// TestFlow_Metrics: one order's journey on the running platform (API,
// stream, relay, fulfillment worker) writes its business metrics to the
// function log in EMF form, with bounded dimensions only.
func TestFlow_Metrics(t *testing.T) {
	env := stacktest.Shared(t)
	var logs stacktest.Log
	a := env.App(t, app.Options{Metrics: &logs})
	verifySender(t, env, a.Config.EmailFrom)
	env.RunApp(t, a, func(c *localrun.Config) { c.FailedVisibility = 200 * time.Millisecond })
	p := &platform{t: t, env: env, app: a, api: a.API()}
	w := p.world("-metrics")
	v, pr := w.vendor.Token.Value, w.provider.Token.Value

	orders := "/v1/customers/" + w.customer + "/orders"
	p.do(http.MethodPost, orders, pr, map[string]any{"lineItems": []any{}}, http.StatusBadRequest, nil)
	var order struct {
		ID        string `json:"id"`
		LineItems []struct {
			SubscriptionID string `json:"subscriptionId"`
		} `json:"lineItems"`
	}
	p.do(http.MethodPost, orders, pr, map[string]any{"lineItems": []any{map[string]any{"offerId": w.product.ID + ":0001:" + w.mp.ID,
		"quantity": 1, "provisioningContext": map[string]string{"param_default": "contoso"}}}}, http.StatusCreated, &order)
	id := fulfillment.RequestID(order.LineItems[0].SubscriptionID, 1)
	p.do(http.MethodPut, "/public/v1/requests/"+id, v, params("param_default", "value_error", "tenant contoso is taken"), http.StatusOK, nil)
	p.do(http.MethodPost, "/public/v1/requests/"+id+"/inquire", v, map[string]any{"template_id": w.inquire.ID}, http.StatusOK, nil)
	p.do(http.MethodPut, "/public/v1/requests/"+id, pr, params("param_default", "value", "contoso-2"), http.StatusOK, nil)
	p.do(http.MethodPut, "/public/v1/requests/"+id, v, params("param_license_key", "value", "APL-7734-KEY"), http.StatusOK, nil)
	p.do(http.MethodPost, "/public/v1/requests/"+id+"/approve", v, map[string]any{"template_id": w.activation.ID}, http.StatusOK, nil)

	type key struct{ name, dims string }
	want := []key{
		{"OrdersRefused", "Code=10010"},
		{"OrdersPlaced", ""},
		{"RelayLag", "Route=fulfillment"},
		{"RelayLag", "Route=webhook"},
		{"RequestsInquired", "Type=purchase"},
		{"RequestsApproved", "Type=purchase"},
		{"OrderToApproval", ""},
	}
	var got []key
	var points []emfPoint
	eventually(t, "the journey's metrics in the log", func() bool {
		points = parseEMF(t, logs.String())
		got = got[:0]
		for _, pt := range points {
			var dims []string
			for k, v := range pt.Dims {
				dims = append(dims, k+"="+v)
			}
			slices.Sort(dims)
			got = append(got, key{pt.Name, strings.Join(dims, ",")})
		}
		for _, k := range want {
			if !slices.Contains(got, k) {
				return false
			}
		}
		return true
	})
	for _, pt := range points {
		if pt.Namespace != a.Config.MetricsNamespace {
			t.Errorf("%s in namespace %q, want %q", pt.Name, pt.Namespace, a.Config.MetricsNamespace)
		}
		for name, val := range pt.Dims {
			// Ids are what a dimension must never hold: they are unbounded.
			for _, id := range []string{order.ID, id, w.customer, w.product.ID, w.vendor.ID, w.provider.ID} {
				if strings.Contains(val, id) {
					t.Errorf("%s dimension %s=%s holds an id", pt.Name, name, val)
				}
			}
		}
		if (pt.Name == "RelayLag" || pt.Name == "OrderToApproval") && (pt.Unit != "Milliseconds" || pt.Value < 0) {
			t.Errorf("%s = %v %s, want a non-negative duration in Milliseconds", pt.Name, pt.Value, pt.Unit)
		}
	}
	if n := count(points, "OrdersPlaced"); n != 1 {
		t.Errorf("OrdersPlaced recorded %v times, want 1", n)
	}
}

func count(points []emfPoint, name string) float64 {
	var n float64
	for _, pt := range points {
		if pt.Name == name {
			n += pt.Value
		}
	}
	return n
}
