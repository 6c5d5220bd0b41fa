package files

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"github.com/mercato-dev/mercato/internal/pclink"
)

// Partner Center pages invoice line items by size (at most 2000) and a
// continuation token in the MS-ContinuationToken header.
const maxLineItems = 2000

func (c Config) invoiceRoutes() []endpoint.Route {
	const base = "/v1/invoices"
	return []endpoint.Route{
		{Method: http.MethodGet, Path: base, Access: endpoint.AnyAccount, Handle: c.listInvoices},
		{Method: http.MethodGet, Path: base + "/{id}", Access: endpoint.AnyAccount, Handle: c.getInvoice},
		{Method: http.MethodGet, Path: base + "/{id}/lineitems", Access: endpoint.AnyAccount, Handle: c.invoiceLineItems},
		{Method: http.MethodGet, Path: base + "/{id}/reconciliation.csv", Access: endpoint.AnyAccount, Handle: c.invoiceReconciliation},
	}
}

// money is an amount as a JSON number with the currency's decimals, as
// Partner Center shows amounts, without a float in between.
func money(d interface{ StringFixed(int32) string }, currency string) json.RawMessage {
	return json.RawMessage(billing.Fixed(d, currency))
}

type pcInvoiceDetail struct {
	InvoiceLineItemType string                 `json:"invoiceLineItemType"`
	BillingProvider     string                 `json:"billingProvider"`
	TotalCount          int                    `json:"totalCount"`
	TotalCharges        json.RawMessage        `json:"totalCharges"`
	Links               map[string]pclink.Link `json:"links"`
	Attributes          pclink.Attributes      `json:"attributes"`
}

type pcInvoice struct {
	ID                     string                 `json:"id"`
	InvoiceDate            time.Time              `json:"invoiceDate"`
	BillingPeriodStartDate time.Time              `json:"billingPeriodStartDate"`
	BillingPeriodEndDate   time.Time              `json:"billingPeriodEndDate"`
	TotalCharges           json.RawMessage        `json:"totalCharges"`
	PaidAmount             json.RawMessage        `json:"paidAmount"`
	CurrencyCode           string                 `json:"currencyCode"`
	CurrencySymbol         string                 `json:"currencySymbol"`
	DocumentType           string                 `json:"documentType"`
	InvoiceType            string                 `json:"invoiceType"`
	Status                 string                 `json:"status"`
	InvoiceDetails         []pcInvoiceDetail      `json:"invoiceDetails"`
	Links                  map[string]pclink.Link `json:"links"`
	Attributes             pclink.Attributes      `json:"attributes"`
}

func lineItemsPath(id, provider string) string {
	return fmt.Sprintf("/v1/invoices/%s/lineitems?provider=%s&invoicelineitemtype=billinglineitems", id, provider)
}

// invoiceView is Partner Center's Invoice. The billing period's end date
// is its last day; the invoice is dated the day after. status (open while
// the period runs, then closed) is Mercato's.
func invoiceView(inv billing.Invoice) pcInvoice {
	self := "/v1/invoices/" + inv.ID
	detail := func(provider string, count int, total interface{ StringFixed(int32) string }) pcInvoiceDetail {
		return pcInvoiceDetail{InvoiceLineItemType: "BillingLineItems", BillingProvider: provider, TotalCount: count,
			TotalCharges: money(total, inv.Currency), Links: map[string]pclink.Link{"self": pclink.Get(lineItemsPath(inv.ID, provider))},
			Attributes: pclink.Attributes{ObjectType: "InvoiceDetail"}}
	}
	return pcInvoice{ID: inv.ID, InvoiceDate: inv.End, BillingPeriodStartDate: inv.Start,
		BillingPeriodEndDate: inv.End.AddDate(0, 0, -1), TotalCharges: money(inv.Total, inv.Currency),
		PaidAmount: money(billing.Zero, inv.Currency), CurrencyCode: inv.Currency, CurrencySymbol: catalog.CurrencySymbol(inv.Currency),
		DocumentType: "Invoice", InvoiceType: "Recurring", Status: inv.Status,
		InvoiceDetails: []pcInvoiceDetail{
			detail(billing.ProviderOneTime, inv.OneTimeLines, inv.OneTimeTotal),
			detail(billing.ProviderUsage, inv.UsageLines, inv.UsageTotal),
		},
		Links:      map[string]pclink.Link{"self": pclink.Get(self), "reconciliation": pclink.Get(self + "/reconciliation.csv")},
		Attributes: pclink.Attributes{ObjectType: "Invoice"},
	}
}

func (c Config) listInvoices(w http.ResponseWriter, r *http.Request) error {
	invs, err := c.Invoices.Invoices(r.Context(), endpoint.Principal(r))
	if err != nil {
		return err
	}
	codec.WriteCollection(w, r, codec.MapViews(invs, invoiceView))
	return nil
}

func (c Config) getInvoice(w http.ResponseWriter, r *http.Request) error {
	inv, err := c.Invoices.Invoice(r.Context(), endpoint.Principal(r), r.PathValue("id"))
	return codec.Show(w, invoiceView(inv), err)
}

// pcLineItem is an invoice line: Partner Center's OneTimeInvoiceLineItem
// for license charges and its usage line item for usage, with the usage
// file and record it came from.
type pcLineItem struct {
	InvoiceNumber       string            `json:"invoiceNumber"`
	PartnerID           string            `json:"partnerId"`
	CustomerID          string            `json:"customerId"`
	CustomerName        string            `json:"customerName"`
	OrderID             string            `json:"orderId"`
	SubscriptionID      string            `json:"subscriptionId"`
	ProductID           string            `json:"productId"`
	ProductName         string            `json:"productName"`
	SkuID               string            `json:"skuId"`
	SkuName             string            `json:"skuName"`
	AvailabilityID      string            `json:"availabilityId"`
	ChargeType          string            `json:"chargeType"`
	UnitPrice           json.RawMessage   `json:"unitPrice"`
	Quantity            json.RawMessage   `json:"quantity"`
	UnitType            string            `json:"unitType"`
	BillableDays        int               `json:"billableDays,omitempty"`
	CycleDays           int               `json:"cycleDays,omitempty"`
	Amount              json.RawMessage   `json:"amount"`
	Subtotal            json.RawMessage   `json:"subtotal"`
	TaxTotal            json.RawMessage   `json:"taxTotal"`
	TotalForCustomer    json.RawMessage   `json:"totalForCustomer"`
	Currency            string            `json:"currency"`
	ChargeStartDate     time.Time         `json:"chargeStartDate"`
	ChargeEndDate       time.Time         `json:"chargeEndDate"`
	BillingFrequency    string            `json:"billingFrequency"`
	UsageFileID         string            `json:"usageFileId,omitempty"`
	UsageRecordID       string            `json:"usageRecordId,omitempty"`
	SourceID            string            `json:"sourceId"`
	InvoiceLineItemType string            `json:"invoiceLineItemType"`
	BillingProvider     string            `json:"billingProvider"`
	Attributes          pclink.Attributes `json:"attributes"`
}

func lineView(inv billing.Invoice, l billing.Line) pcLineItem {
	amount := money(l.Amount, l.Currency)
	kind := "OneTimeInvoiceLineItem"
	if l.BillingType == billing.ProviderUsage {
		kind = "UsageBasedLineItem"
	}
	return pcLineItem{InvoiceNumber: inv.ID, PartnerID: inv.Provider.ID, CustomerID: l.CustomerID, CustomerName: l.CustomerName,
		OrderID: l.OrderID, SubscriptionID: l.SubscriptionID, ProductID: l.ProductID, ProductName: l.ProductName,
		SkuID: l.SkuID, SkuName: l.SkuName, AvailabilityID: l.MarketplaceID, ChargeType: l.ChargeType,
		UnitPrice: json.RawMessage(l.UnitPrice), Quantity: json.RawMessage(l.Quantity), UnitType: l.Unit,
		BillableDays: l.Days, CycleDays: l.CycleDays, Amount: amount, Subtotal: amount,
		TaxTotal: money(billing.Zero, l.Currency), TotalForCustomer: amount, Currency: l.Currency,
		ChargeStartDate: l.ChargeStart, ChargeEndDate: l.ChargeEnd, BillingFrequency: l.BillingCycle,
		UsageFileID: l.UsageFileID, UsageRecordID: l.UsageRecordID, SourceID: l.Source,
		InvoiceLineItemType: "billingLineItems", BillingProvider: l.BillingType, Attributes: pclink.Attributes{ObjectType: kind}}
}

type lineItemCollection struct {
	TotalCount        int                        `json:"totalCount"`
	Items             []pcLineItem               `json:"items"`
	ContinuationToken string                     `json:"continuationToken,omitempty"`
	Links             map[string]pclink.SeekLink `json:"links"`
	Attributes        pclink.Attributes          `json:"attributes"`
}

// lineItemQuery reads provider, invoicelineitemtype, size and, for the
// next page, seekOperation=Next with the MS-ContinuationToken header.
func lineItemQuery(r *http.Request) (provider string, size int, token string, err error) {
	q := r.URL.Query()
	provider = strings.ToLower(q.Get("provider"))
	if provider != billing.ProviderOneTime && provider != billing.ProviderUsage {
		return "", 0, "", fault.Invalidf("provider must be onetime or usage (got %q)", q.Get("provider"))
	}
	if t := q.Get("invoicelineitemtype"); t != "" && !strings.EqualFold(t, "billinglineitems") {
		return "", 0, "", fault.Invalidf("invoicelineitemtype must be billinglineitems (got %q)", t)
	}
	size = maxLineItems
	if raw := q.Get("size"); raw != "" {
		if size, err = strconv.Atoi(raw); err != nil || size < 1 || size > maxLineItems {
			return "", 0, "", fault.Invalidf("size must be an integer from 1 to %d (got %q)", maxLineItems, raw)
		}
	}
	switch seek := q.Get("seekOperation"); {
	case strings.EqualFold(seek, "next"):
		if token = r.Header.Get(pclink.ContinuationToken); token == "" {
			return "", 0, "", fault.Invalidf("seekOperation=Next needs the %s header of the previous page's next link", pclink.ContinuationToken)
		}
	case seek != "":
		return "", 0, "", fault.Invalidf("seekOperation must be Next (got %q)", seek)
	}
	return provider, size, token, nil
}

func (c Config) invoiceLineItems(w http.ResponseWriter, r *http.Request) error {
	provider, size, token, err := lineItemQuery(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	inv, lines, next, err := c.Invoices.Lines(r.Context(), endpoint.Principal(r), id, provider, token, size)
	if err != nil {
		return err
	}
	out := lineItemCollection{TotalCount: len(lines), Items: make([]pcLineItem, len(lines)),
		Links:      map[string]pclink.SeekLink{"self": {URI: r.URL.RequestURI(), Method: http.MethodGet, Headers: []pclink.Header{}}},
		Attributes: pclink.Attributes{ObjectType: "Collection"}}
	for i, l := range lines {
		out.Items[i] = lineView(inv, l)
	}
	if next != "" {
		out.ContinuationToken = next
		uri := lineItemsPath(id, provider) + "&size=" + strconv.Itoa(size) + "&seekOperation=Next"
		out.Links["next"] = pclink.SeekLink{URI: uri, Method: http.MethodGet, Headers: []pclink.Header{{Key: pclink.ContinuationToken, Value: next}}}
	}
	endpoint.WriteJSON(w, http.StatusOK, out)
	return nil
}

// invoiceReconciliation answers the invoice's lines as CSV, then a total
// row that equals the invoice's totalCharges: streamed in the answer when
// the invoice has at most billing.InlineExportLines lines; else written to
// S3 by the billing function, answered 202 (Retry-After) until it is, then
// 303 to a presigned link.
func (c Config) invoiceReconciliation(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	inv, ans, err := c.Invoices.Export(r.Context(), endpoint.Principal(r), id)
	if err != nil {
		return err
	}
	switch {
	case ans.URL != "":
		http.Redirect(w, r, ans.URL, http.StatusSeeOther)
		return nil
	case !ans.Inline:
		w.Header().Set("Retry-After", strconv.Itoa(exportRetrySeconds))
		endpoint.WriteJSON(w, http.StatusAccepted, map[string]any{"status": "writing", "invoiceId": inv.ID, "retryAfter": exportRetrySeconds})
		return nil
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-reconciliation.csv"`, url.PathEscape(id)))
	cw := csv.NewWriter(w)
	_ = cw.Write(billing.ReconciliationHeader)
	_, err = c.Invoices.EachLine(r.Context(), endpoint.Principal(r), id, func(lines []billing.Line) error {
		for _, l := range lines {
			if err := cw.Write(billing.ReconciliationRow(inv, l)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// The header is out; the truncated export ends without its total
		// row, which a reader checks for.
		c.Logger.ErrorContext(r.Context(), "reconciliation export failed", "invoice", id, "error", err.Error())
		cw.Flush()
		return nil
	}
	_ = cw.Write(billing.ReconciliationTotal(inv))
	cw.Flush()
	return cw.Error()
}

// exportRetrySeconds is when to ask again for an export being written.
const exportRetrySeconds = 10
