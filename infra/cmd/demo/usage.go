package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// billUsage reports the pay-per-use minutes of the demo subscription in a
// usage file built from the downloaded template, uploads it through a
// presigned URL with a plain HTTP PUT, has the provider accept it, and
// reads the invoice's usage lines.
func billUsage(ctx context.Context, s *story) (string, error) {
	var asset struct {
		ActivatedAt time.Time `json:"activated_at"`
	}
	if err := s.c.call(ctx, get, "/public/v1/assets/"+s.subPPU, s.vendor, nil, 200, &asset); err != nil {
		return "", err
	}
	now := time.Now().UTC()
	monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	var f struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := s.c.call(ctx, post, "/public/v1/usage/files", s.vendor, map[string]any{
		"name": "Recording minutes " + now.Format("2006-01"), "product": s.product, "marketplace": s.mp,
		"period": map[string]string{"from": monthStart.Format(time.RFC3339), "to": now.Add(time.Hour).Format(time.RFC3339)},
	}, 201, &f); err != nil {
		return "", err
	}
	body, err := s.usageCSV(ctx, f.ID, asset.ActivatedAt, now)
	if err != nil {
		return "", err
	}
	if err := s.c.UploadUsage(ctx, s.vendor, f.ID, body); err != nil {
		return "", err
	}
	err = eventually(ctx, 30*time.Second, func() error {
		var cur struct {
			Status      string `json:"status"`
			ErrorDetail any    `json:"error_detail"`
		}
		if err := s.c.call(ctx, get, "/public/v1/usage/files/"+f.ID, s.vendor, nil, 200, &cur); err != nil {
			return err
		}
		if cur.Status == "invalid" {
			return permanent{Err: fmt.Errorf("usage file %s is invalid: %v", f.ID, cur.ErrorDetail)}
		}
		if cur.Status != "ready" {
			return fmt.Errorf("usage file %s is %s", f.ID, cur.Status)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if err := s.c.call(ctx, post, "/public/v1/usage/files/"+f.ID+"/submit", s.vendor, nil, 200, nil); err != nil {
		return "", err
	}
	if err := s.c.call(ctx, post, "/public/v1/usage/files/"+f.ID+"/accept", s.provider, map[string]string{"note": "checked against our records"}, 200, nil); err != nil {
		return "", err
	}
	lines, total, err := s.invoiceUsage(ctx, f.ID)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("usage file %s (3 records) accepted; invoice %s bills %d usage lines totalling %s", f.ID, s.invoice, lines, total), nil
}

// usageCSV fills the downloaded template with three records of the
// pay-per-use item, inside the time the subscription has been active.
func (s *story) usageCSV(ctx context.Context, fileID string, from, to time.Time) ([]byte, error) {
	var tpl string
	if err := s.c.call(ctx, get, "/public/v1/usage/files/"+fileID+"/template?format=csv", s.vendor, nil, 200, &tpl); err != nil {
		return nil, err
	}
	header, err := csv.NewReader(strings.NewReader(tpl)).Read()
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(header)
	// The subscription became active seconds ago: the records split that
	// time, to the nanosecond.
	span := to.Sub(from) / 4
	for i, qty := range []string{"12.5", "30", "7.25"} {
		start := from.Add(time.Duration(i+1) * span)
		row := map[string]string{
			"record_id": fmt.Sprintf("%s-rec-%d", fileID, i+1), "record_note": "demo",
			"item_search_criteria": "item.mpn", "item_search_value": s.minutes.MPN, "quantity": qty,
			"start_time_utc": start.Format(time.RFC3339Nano), "end_time_utc": start.Add(span / 2).Format(time.RFC3339Nano),
			"asset_search_criteria": "asset.id", "asset_search_value": s.subPPU,
		}
		rec := make([]string, len(header))
		for j, col := range header {
			rec[j] = row[col]
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// invoiceUsage waits for the provider's invoice to bill the file's records.
func (s *story) invoiceUsage(ctx context.Context, fileID string) (int, string, error) {
	var lines int
	var total string
	err := eventually(ctx, 30*time.Second, func() error {
		var invs struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if err := s.c.call(ctx, get, "/v1/invoices", s.provider, nil, 200, &invs); err != nil {
			return err
		}
		for _, inv := range invs.Items {
			var li struct {
				Items []map[string]any `json:"items"`
			}
			if err := s.c.call(ctx, get, "/v1/invoices/"+inv.ID+"/lineitems?provider=usage", s.provider, nil, 200, &li); err != nil {
				return err
			}
			n := 0
			sum := decimal.Zero
			for _, l := range li.Items {
				if !strings.Contains(fmt.Sprint(l), fileID) {
					continue
				}
				n++
				if d, err := decimal.NewFromString(fmt.Sprint(l["amount"])); err == nil {
					sum = sum.Add(d)
				}
			}
			total = sum.String()
			if n > 0 {
				s.invoice, lines = inv.ID, n
				return nil
			}
		}
		return fmt.Errorf("no invoice bills usage file %s yet", fileID)
	})
	return lines, total, err
}
