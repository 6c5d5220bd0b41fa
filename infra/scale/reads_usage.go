package scale

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/infra/chaos"
	"github.com/mercato-dev/mercato/internal/usage"
)

// usageRows is the size of the file the usage model processes at each
// size of the tenant. The file is the same at both sizes: what the model
// asks is whether processing it costs more when the tenant has more
// history (orders, assets, other files), not how the cost grows with the
// file's own rows, which the README's 2,000,000-row figure covers.
const usageRows = 500

// usageModel adds the usage files to the read path: the vendor's and the
// provider's file lists with the tenant holding H and then 10·H files,
// and the usage function's largest invocation processing a file of
// usageRows rows at each size.
type usageModel struct {
	raw    *dynamodb.Client
	schema Schema
	p      *chaos.Platform
	w      *chaos.World
	asset  string    // the seed order's asset, which the rows name
	active time.Time // when it became active
	file   map[string]types.AttributeValue
	fileID string
	have   int // files the tenant has
	lists  [2]Measure
}

type apiFile struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Error  string `json:"error_detail"`
	Stats  struct {
		Records int `json:"records"`
	} `json:"stats"`
}

// newUsageModel finds the seed order's asset and creates the file whose
// item seeds the lists.
func newUsageModel(ctx context.Context, raw *dynamodb.Client, schema Schema, p *chaos.Platform, w *chaos.World, seed, customer string) (*usageModel, error) {
	u := &usageModel{raw: raw, schema: schema, p: p, w: w}
	var o struct {
		LineItems []struct {
			SubscriptionID string `json:"subscriptionId"`
		} `json:"lineItems"`
	}
	if err := p.API.Call(ctx, http.MethodGet, "/v1/customers/"+customer+"/orders/"+seed, w.Provider.Token.Value, nil, http.StatusOK, &o); err != nil {
		return nil, fmt.Errorf("scale: usage: the seed order: %w", err)
	}
	if len(o.LineItems) == 0 {
		return nil, fmt.Errorf("scale: usage: the seed order %s has no line items", seed)
	}
	u.asset = o.LineItems[0].SubscriptionID
	var a struct {
		ActivatedAt *time.Time `json:"activated_at"`
	}
	if err := p.API.Call(ctx, http.MethodGet, "/public/v1/assets/"+u.asset, w.Vendor.Token.Value, nil, http.StatusOK, &a); err != nil {
		return nil, fmt.Errorf("scale: usage: the seed asset: %w", err)
	}
	if a.ActivatedAt == nil {
		return nil, fmt.Errorf("scale: usage: the seed asset %s is not active", u.asset)
	}
	u.active = *a.ActivatedAt
	f, err := u.create(ctx, "seed")
	if err != nil {
		return nil, err
	}
	out, err := raw.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(schema.Table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "USAGEFILE#" + f.ID}, "sk": &types.AttributeValueMemberS{Value: "FILE"}}})
	if err != nil || out.Item == nil {
		return nil, fmt.Errorf("scale: usage: read file %s: %v", f.ID, err)
	}
	u.file, u.fileID, u.have = out.Item, f.ID, 1
	return u, nil
}

// create makes a draft file of the seed asset's product, over the time
// the asset has been active.
func (u *usageModel) create(ctx context.Context, name string) (apiFile, error) {
	var f apiFile
	err := u.p.API.Call(ctx, http.MethodPost, "/public/v1/usage/files", u.w.Vendor.Token.Value, map[string]any{
		"name": "scale " + name, "product": u.w.Product, "marketplace": u.w.Marketplace,
		"period": map[string]string{"from": u.active.Add(-time.Second).Format(time.RFC3339Nano), "to": time.Now().UTC().Add(time.Hour).Format(time.RFC3339)},
	}, http.StatusCreated, &f)
	if err != nil {
		return apiFile{}, fmt.Errorf("scale: usage: create a file: %w", err)
	}
	return f, nil
}

// seed brings the tenant's files to n by copying the real file's item
// with fresh ids (its events are short-lived and not copied, like the
// orders'; the lists' count items are not raised, which changes a total,
// not what a page reads).
func (u *usageModel) seed(ctx context.Context, n int) error {
	c := &Cloner{Raw: u.raw, Schema: u.schema}
	var batch []types.WriteRequest
	for ; u.have < n; u.have++ {
		fresh := fmt.Sprintf("UF-%04d-%02d-%04d-%04d", 3000+rand.IntN(6000), 1+rand.IntN(12), rand.IntN(10000), rand.IntN(10000))
		item := mapItem(u.file, strings.NewReplacer(u.fileID, fresh))
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		if len(batch) == 25 {
			if err := c.write(ctx, batch); err != nil {
				return err
			}
			batch = nil
		}
	}
	if len(batch) == 0 {
		return nil
	}
	return c.write(ctx, batch)
}

// measure seeds the tenant's files to size and measures the lists and
// one file's processing, as size i (0 for H, 1 for 10·H).
func (u *usageModel) measure(ctx context.Context, rec *Recorder, cfg Config, js *jobSet, i, size int) error {
	if err := u.seed(ctx, size); err != nil {
		return err
	}
	for j, side := range []struct{ name, token string }{{"vendor", u.w.Vendor.Token.Value}, {"provider", u.w.Provider.Token.Value}} {
		l := listEndpoint{side.name + " GET /public/v1/usage/files?limit=10", "/public/v1/usage/files?limit=10", side.token, maxLimit}
		// Unrecorded, so the page is measured with the token cached, as
		// the lists before it are: after the billing run at 10·H the
		// cache has expired, and its GetItem is no part of the list.
		if err := u.p.API.Call(ctx, http.MethodGet, "/public/v1/usage/files?limit=0", side.token, nil, http.StatusOK, nil); err != nil {
			return fmt.Errorf("scale: %s: %w", l.name, err)
		}
		if err := l.measure(ctx, u.p, rec, &u.lists[j], i); err != nil {
			return err
		}
	}
	return u.process(ctx, rec, cfg, js, i)
}

// process uploads a file of usageRows rows through the presigned URL and
// observes the jobs while it is processed: the usage function's
// invocation that reads it, and whatever its acceptance starts.
func (u *usageModel) process(ctx context.Context, rec *Recorder, cfg Config, js *jobSet, i int) error {
	f, err := u.create(ctx, "processed "+strconv.Itoa(i))
	if err != nil {
		return err
	}
	u.have++
	rec.Start()
	err = u.upload(ctx, f.ID)
	if err == nil {
		err = u.wait(ctx, f.ID)
	}
	derr := drain(ctx, rec, cfg)
	calls, invs, rerr := rec.Stop()
	if err = cmpErr(err, derr, rerr); err != nil {
		return fmt.Errorf("scale: usage processing: %w", err)
	}
	js.observe(i, calls, invs)
	return nil
}

// bound sets what bounds a file's processing at the stated limits: a file
// of usage.MaxRows rows, usage.DefaultWorkers calls in flight (the
// processor's writers), against the file of usageRows rows measured.
func (u *usageModel) bound(jobs []Measure) {
	for k := range jobs {
		if strings.Contains(jobs[k].Name, " · s3:") {
			jobs[k].Scale = float64(usage.MaxRows) / usageRows
			jobs[k].InFlight = usage.DefaultWorkers
			jobs[k].Bound = fmt.Sprintf("a file of %d rows (%d measured), %d calls in flight", usage.MaxRows, usageRows, usage.DefaultWorkers)
		}
	}
}

// upload puts the rows through the presigned URL the API hands out: the
// bucket notifies the usage queue, as in production.
func (u *usageModel) upload(ctx context.Context, fileID string) error {
	return u.p.API.UploadUsage(ctx, u.w.Vendor.Token.Value, fileID, u.rows())
}

// rows is a CSV of usageRows records of the ppu item on the seed asset,
// inside the time it has been active.
func (u *usageModel) rows() []byte {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{"record_id", "record_note", "item_search_criteria", "item_search_value", "quantity",
		"start_time_utc", "end_time_utc", "asset_search_criteria", "asset_search_value"})
	from := u.active.Add(time.Second)
	span := time.Now().UTC().Add(-time.Second).Sub(from) / (usageRows + 1)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	for i := range usageRows {
		start := from.Add(time.Duration(i) * span)
		_ = cw.Write([]string{run + "-" + strconv.Itoa(i), "", "item.mpn", u.w.PPU.MPN, strconv.Itoa(1 + i%7),
			start.Format(time.RFC3339Nano), start.Add(span).Format(time.RFC3339Nano), "asset.id", u.asset})
	}
	cw.Flush()
	return buf.Bytes()
}

// wait polls the file until it is processed, and fails unless it is ready
// with every row.
func (u *usageModel) wait(ctx context.Context, fileID string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var f apiFile
		if err := u.p.API.Call(ctx, http.MethodGet, "/public/v1/usage/files/"+fileID, u.w.Vendor.Token.Value, nil, http.StatusOK, &f); err != nil {
			return err
		}
		switch {
		case f.Status == "ready" && f.Stats.Records == usageRows:
			return nil
		case f.Status != "draft" && f.Status != "processing":
			return fmt.Errorf("file %s is %s with %d records: %s", fileID, f.Status, f.Stats.Records, f.Error)
		case time.Now().After(deadline):
			return fmt.Errorf("file %s still %s after 2 minutes", fileID, f.Status)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
