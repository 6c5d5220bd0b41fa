package scale

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/infra/chaos"
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/billing"
)

// ExportPart is the reconciliation export's part in the model
// (config.Config.ExportPartBytes; the emulator is started accepting parts
// that small): an export unit reads lines until it has a part, and S3's
// 5 MB part is about 18,000 lines, more than the model's invoice holds
// even at 10·H. At 32 KB, about 128 lines, the invoice at H (about 500
// lines) is already several full units, so the largest unit is a full
// part at both sizes, and the limits table scales it to 5 MB.
const ExportPart = 32 << 10

// maxLineItems is the largest page of an invoice's line items (`size`).
const maxLineItems = 2000

// exportModel adds the reconciliation export and the invoice's line items
// to the read path. After the billing run at each size, the provider's
// invoice with the most lines holds about a line per subscription; its
// line items' first page is measured, and its export is written by
// job.billing_export units, which the model starts through the invoice
// reader as the API does, with the inline bound lowered to one line: the
// API answers an export of up to billing.InlineExportLines lines inline,
// more than the invoice holds at 10·H. Its units write parts of part
// bytes (ExportPart).
type exportModel struct {
	a    *app.App
	p    *chaos.Platform
	w    *chaos.World
	part int
	list Measure
	// lines and rowBytes are the exported invoice's lines and the export
	// file's bytes a line, at 10·H; bytes are the file's at each size.
	lines    int
	rowBytes float64
	bytes    [2]int
}

func (ex *exportModel) measure(ctx context.Context, rec *Recorder, cfg Config, js *jobSet, i int) error {
	exports := ex.a.Exports()
	exports.InlineLines = 1
	reader := billing.NewReader(ex.a.Biller().Store(), exports, nil)
	actor := account.Principal{AccountID: ex.w.Provider.ID, AccountType: account.Provider}
	invs, err := reader.Invoices(ctx, actor)
	if err != nil {
		return fmt.Errorf("scale: export: the provider's invoices: %w", err)
	}
	var inv billing.Invoice
	for _, in := range invs {
		if in.OneTimeLines+in.UsageLines > inv.OneTimeLines+inv.UsageLines {
			inv = in
		}
	}
	if inv.ID == "" {
		return fmt.Errorf("scale: export: the billing run left the provider no invoice with lines")
	}
	// A page of 100: a page of 10 lines is about 12 KB, where a few
	// bytes more or less move the read units by one of three.
	page := listEndpoint{"provider GET /v1/invoices/{id}/lineitems?size=100", "/v1/invoices/" + inv.ID + "/lineitems?provider=" + billing.ProviderOneTime + "&size=100",
		ex.w.Provider.Token.Value, maxLineItems}
	if err := page.measure(ctx, ex.p, rec, &ex.list, i); err != nil {
		return err
	}
	rec.Start()
	url, err := ex.await(ctx, reader, actor, inv.ID)
	derr := drain(ctx, rec, cfg)
	calls, invocations, rerr := rec.Stop()
	if err = cmpErr(err, derr, rerr); err != nil {
		return fmt.Errorf("scale: export of %s: %w", inv.ID, err)
	}
	js.observe(i, calls, invocations)
	file, err := download(ctx, url)
	if err != nil {
		return fmt.Errorf("scale: export of %s: %w", inv.ID, err)
	}
	// The header and the total row are no lines.
	ex.bytes[i] = len(file)
	ex.lines = max(bytes.Count(file, []byte("\n"))-2, 1)
	if want := inv.OneTimeLines + inv.UsageLines; ex.lines != want {
		// Its parts were written by several units: none may lose or
		// repeat a line at their seams.
		return fmt.Errorf("scale: export of %s: %d lines in the file, %d on the invoice", inv.ID, ex.lines, want)
	}
	ex.rowBytes = float64(len(file)) / float64(ex.lines)
	return nil
}

// await starts the export and waits until it is written: its link.
func (ex *exportModel) await(ctx context.Context, reader *billing.Reader, actor account.Principal, id string) (string, error) {
	for deadline := time.Now().Add(5 * time.Minute); ; {
		_, ans, err := reader.Export(ctx, actor, id)
		switch {
		case err != nil:
			return "", err
		case ans.Inline:
			return "", fmt.Errorf("answered inline: no unit ran")
		case ans.URL != "":
			return ans.URL, nil
		case time.Now().After(deadline):
			return "", fmt.Errorf("not written within 5 minutes")
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func download(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET the export's link answered %d", res.StatusCode)
	}
	return io.ReadAll(res.Body)
}

// bound sets what bounds an export unit at the stated limits: one part of
// billing.DefaultExportPartBytes (5 MB), about 5 MB ÷ rowBytes lines. The
// model's units write parts of ex.part bytes: when the file at H is larger
// than a part, its first unit, and so the largest at both sizes, is a full
// part, and a 5 MB part is that unit times 5 MB ÷ ex.part (the lines of a
// 5 MB part over those of the model's part, at the same bytes a row). Its
// calls are scaled with it, an upper bound: the model's part is one Query
// of 128 lines (its unit reads past its part by up to a row in eight, as a
// 5 MB part's does), a 5 MB part about 14 Queries of DynamoDB's 1 MB
// pages. When the file at H fits one part, the unit grows with the
// invoice up to 5 MB: its ratio is reported, not held.
func (ex *exportModel) bound(jobs []Measure) {
	if ex.rowBytes == 0 {
		return
	}
	part := ex.part
	if part <= 0 {
		part = billing.DefaultExportPartBytes
	}
	perPart := billing.DefaultExportPartBytes / ex.rowBytes
	for k := range jobs {
		if !strings.Contains(jobs[k].Name, "job.billing_export") {
			continue
		}
		if ex.bytes[0] <= part {
			jobs[k].Scale = perPart / float64(ex.lines)
			jobs[k].Bound = fmt.Sprintf("a part of 5 MB: %.0f lines of %.0f bytes (%d measured)", perPart, ex.rowBytes, ex.lines)
			jobs[k].Grows = fmt.Sprintf("a unit reads lines up to a part of %d KB, and the export at H is %d KB", part>>10, ex.bytes[0]>>10)
			continue
		}
		jobs[k].Scale = float64(billing.DefaultExportPartBytes) / float64(part)
		jobs[k].Bound = fmt.Sprintf("a part of 5 MB: %.0f lines of %.0f bytes, the model's unit × %.0f (5 MB ÷ its %d KB part)",
			perPart, ex.rowBytes, jobs[k].Scale, part>>10)
	}
}
