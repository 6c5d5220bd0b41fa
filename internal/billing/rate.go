package billing

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/fulfillment/timeline"
	"github.com/mercato-dev/mercato/internal/usage"
)

// Billing providers of Partner Center's line items: license charges and
// usage charges.
const (
	ProviderOneTime = "onetime"
	ProviderUsage   = "usage"
)

// Charge types of a line.
const (
	ChargeNew     = "new"     // the first days of a subscription
	ChargeRenew   = "renew"   // a subscription going on from the period before
	ChargeProrate = "prorate" // the days after a quantity change or a resume
	ChargeUsage   = "usage"   // an accepted usage record
)

// Line is one charge of an invoice, with what it was computed from.
type Line struct {
	Key            string          `json:"key"`
	BillingType    string          `json:"billing_provider"`
	ChargeType     string          `json:"charge_type"`
	SubscriptionID string          `json:"subscription_id"`
	CustomerID     string          `json:"customer_id"`
	CustomerName   string          `json:"customer_name"`
	OrderID        string          `json:"order_id"`
	ProductID      string          `json:"product_id"`
	ProductName    string          `json:"product_name"`
	ItemID         string          `json:"item_id"`
	SkuID          string          `json:"sku_id"`
	SkuName        string          `json:"sku_name"`
	MarketplaceID  string          `json:"marketplace_id"`
	Unit           string          `json:"unit"`
	BillingCycle   string          `json:"billing_cycle"`
	Quantity       string          `json:"quantity"`
	UnitPrice      string          `json:"unit_price"`
	Amount         decimal.Decimal `json:"amount"`
	Currency       string          `json:"currency"`
	ChargeStart    time.Time       `json:"charge_start"`
	ChargeEnd      time.Time       `json:"charge_end"`
	Days           int             `json:"days"`
	CycleDays      int             `json:"cycle_days"`
	// Source is the approved request that set the quantity charged, or
	// the usage record's id.
	Source          string `json:"source"`
	UsageFileID     string `json:"usage_file_id,omitempty"`
	UsageRecordID   string `json:"usage_record_id,omitempty"`
	UsageRecordNote string `json:"usage_record_note,omitempty"`
}

func assetLine(a fulfillment.Asset, it fulfillment.AssetItem) Line {
	return Line{SubscriptionID: a.ID, CustomerID: a.Subscription.CustomerID, CustomerName: a.Tiers.Customer.Name,
		OrderID: a.Subscription.OrderID, ProductID: a.Product.ID, ProductName: a.Product.Name, ItemID: it.ID,
		SkuID: it.LocalID, SkuName: it.Name, MarketplaceID: a.Marketplace.ID, Unit: it.Unit, Currency: a.Currency}
}

// Recurring rates an asset's reservation items for period p from its
// timeline. Each day the asset is active is charged at quantity × price
// divided by the days of the item's billing cycle that holds the day (the
// month for monthly items, the year for yearly ones), so a whole month
// costs exactly price × quantity; suspended and terminated days cost
// nothing; a day on which the asset changed is charged as it ended the day.
// Items bought once (period onetime) are charged in full in the period the
// asset was activated.
func Recurring(a fulfillment.Asset, tl timeline.Timeline, p Period) []Line {
	if len(tl) == 0 {
		return nil
	}
	var out []Line
	firstDay := day(tl[0].At)
	for i, s := range tl {
		if s.Status != fulfillment.AssetActive {
			continue
		}
		from, to := clip(s.At, tl.End(i), p)
		if !from.Before(to) {
			continue
		}
		kind := ChargeProrate
		switch {
		case from.Equal(firstDay):
			kind = ChargeNew
		case from.Equal(p.Start):
			kind = ChargeRenew
		}
		for _, it := range s.Items {
			if l, ok := recurringLine(a, it, s, kind, from, to); ok {
				out = append(out, l)
			}
		}
	}
	return append(out, onetime(a, tl, p)...)
}

// clip returns the days of [at, end) inside p; a zero end is open.
func clip(at, end time.Time, p Period) (time.Time, time.Time) {
	from, to := day(at), p.End
	if !end.IsZero() {
		to = day(end)
	}
	if from.Before(p.Start) {
		from = p.Start
	}
	if to.After(p.End) {
		to = p.End
	}
	return from, to
}

func recurringLine(a fulfillment.Asset, it fulfillment.AssetItem, s timeline.State, kind string, from, to time.Time) (Line, bool) {
	if it.Type != catalog.ItemReservation || (it.Period != catalog.PeriodMonthly && it.Period != catalog.PeriodYearly) {
		return Line{}, false
	}
	qty, err1 := decimal.NewFromString(it.Quantity)
	price, err2 := decimal.NewFromString(it.Price)
	if err1 != nil || err2 != nil || qty.Sign() <= 0 {
		return Line{}, false
	}
	cycle := PeriodOf(from).Days()
	if it.Period == catalog.PeriodYearly {
		cycle = yearDays(from)
	}
	days := daysBetween(from, to)
	l := assetLine(a, it)
	l.Key = fmt.Sprintf("R#%s#%s#%s", a.ID, it.ID, from.Format("20060102"))
	l.BillingType, l.ChargeType, l.BillingCycle = ProviderOneTime, kind, it.Period
	l.Quantity, l.UnitPrice = qty.String(), price.String()
	l.Amount = round(price.Mul(qty).Mul(decimal.NewFromInt(int64(days))).Div(decimal.NewFromInt(int64(cycle))), a.Currency)
	l.ChargeStart, l.ChargeEnd, l.Days, l.CycleDays, l.Source = from, to, days, cycle, s.Source
	return l, true
}

// onetime charges the items bought once, in the period of activation.
func onetime(a fulfillment.Asset, tl timeline.Timeline, p Period) []Line {
	act := tl[0].At
	if act.Before(p.Start) || !act.Before(p.End) {
		return nil
	}
	var out []Line
	for _, it := range tl[0].Items {
		qty, err1 := decimal.NewFromString(it.Quantity)
		price, err2 := decimal.NewFromString(it.Price)
		if it.Type != catalog.ItemReservation || it.Period != catalog.PeriodOneTime || err1 != nil || err2 != nil || qty.Sign() <= 0 {
			continue
		}
		l := assetLine(a, it)
		l.Key = fmt.Sprintf("R#%s#%s#once", a.ID, it.ID)
		l.BillingType, l.ChargeType, l.BillingCycle = ProviderOneTime, ChargeNew, it.Period
		l.Quantity, l.UnitPrice, l.Amount = qty.String(), price.String(), round(price.Mul(qty), a.Currency)
		l.ChargeStart, l.ChargeEnd, l.Source = day(act), day(act).AddDate(0, 0, 1), tl[0].Source
		out = append(out, l)
	}
	return out
}

// Usage rates one accepted record: its quantity at the unit price fixed
// when its file was processed. seq orders the lines of a file.
func Usage(f usage.File, r usage.Record, a fulfillment.Asset, it fulfillment.AssetItem) (Line, error) {
	qty, err := decimal.NewFromString(r.Quantity)
	if err != nil {
		return Line{}, fmt.Errorf("billing: record %s quantity %q: %w", r.ID, r.Quantity, err)
	}
	price, err := decimal.NewFromString(r.Price)
	if err != nil {
		return Line{}, fmt.Errorf("billing: record %s price %q: %w", r.ID, r.Price, err)
	}
	if it.ID == "" {
		it = fulfillment.AssetItem{ID: r.Item.ID, MPN: r.Item.MPN}
	}
	l := assetLine(a, it)
	l.Currency, l.ProductID, l.MarketplaceID, l.ItemID = f.Currency, f.Product.ID, f.Marketplace.ID, r.Item.ID
	l.Key = "U#" + r.ID
	l.BillingType, l.ChargeType, l.BillingCycle = ProviderUsage, ChargeUsage, catalog.PeriodMonthly
	l.Quantity, l.UnitPrice, l.Amount = qty.String(), price.String(), round(price.Mul(qty), f.Currency)
	l.ChargeStart, l.ChargeEnd, l.Source = r.Start, r.End, r.ID
	l.UsageFileID, l.UsageRecordID, l.UsageRecordNote = f.ID, r.RecordID, r.Note
	return l, nil
}
