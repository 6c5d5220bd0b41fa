package catalog

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/layout"
)

// A product at end of sale takes no new purchases on any marketplace; its
// subscriptions go on (changes, renewals, usage). The fact is kept where an
// order reads it: on each of the product's listings (EndOfSale), and on the
// product's guard (endOfSaleAttr), so that an order that used a cached
// listing from before fails its check and reads the listing again.
const endOfSaleAttr = "end_of_sale"

// maxSaleNotes bounds the end-of-sale notes.
const maxSaleNotes = 4000

// saleTxFixed is what a sale change writes besides the listings: the
// product and its event, and every guard copy.
const saleTxFixed = 2 + layout.GuardShards

// EndSaleInput is the optional body of POST /products/{id}/endsale.
type EndSaleInput struct {
	Replacement    *RefInput `json:"replacement"`
	EndOfSaleNotes string    `json:"end_of_sale_notes"`
}

// EndSale takes a published product off sale on every marketplace.
func (s *Service) EndSale(ctx context.Context, actor account.Principal, id string, in EndSaleInput) (Product, error) {
	var msgs []string
	if in.Replacement != nil && in.Replacement.ID != "" {
		msgs = append(msgs, "replacement: Mercato has no replacement products; end the sale without one")
	}
	if len(in.EndOfSaleNotes) > maxSaleNotes {
		msgs = append(msgs, fmt.Sprintf("end_of_sale_notes must be at most %d characters", maxSaleNotes))
	}
	if len(msgs) > 0 {
		return Product{}, fault.InvalidList(msgs...)
	}
	return s.setSale(ctx, actor, id, true, in.EndOfSaleNotes)
}

// ResumeSale puts a product at end of sale back on sale.
func (s *Service) ResumeSale(ctx context.Context, actor account.Principal, id string) (Product, error) {
	return s.setSale(ctx, actor, id, false, "")
}

func (s *Service) setSale(ctx context.Context, actor account.Principal, id string, end bool, notes string) (Product, error) {
	st, err := s.change(ctx, actor, id, func(st *state, tx *dynamo.Tx) error {
		p := st.head.product()
		switch {
		case end && p.Status != StatusPublished:
			return fault.Transitionf("product %s is %s; only a published product can end its sale", id, p.Status)
		case !end && p.Status != StatusEndOfSale:
			return fault.Transitionf("product %s is %s; only a product at end of sale can resume it", id, p.Status)
		case end && len(st.openRequests) > 0:
			// An approval after this would list the product for sale again.
			return fault.Transitionf("product %s has a listing request open on %s; have it decided or cancel it first",
				id, strings.Join(slices.Sorted(maps.Keys(st.openRequests)), ", "))
		case saleTxFixed+2*len(st.listings) > dynamo.MaxTxItems:
			return fault.Invalidf("product %s is listed on %d marketplaces; a sale change handles at most %d", id,
				len(st.listings), (dynamo.MaxTxItems-saleTxFixed)/2)
		}
		p.Status, p.EndOfSaleNotes = StatusPublished, ""
		if end {
			p.Status, p.EndOfSaleNotes = StatusEndOfSale, notes
		}
		st.head.setProduct(p)
		now := s.now().UTC()
		for _, mp := range slices.Sorted(maps.Keys(st.listings)) {
			l := st.listings[mp]
			l.EndOfSale, l.Updated = end, now
			ev, err := event.New(event.ListingUpdated, l.Provider.ID, l, now)
			if err != nil {
				return err
			}
			tx.Put("listing "+mp, listingRow(l), nil).Emit(ev, s.retentionDays)
		}
		upd := expression.Remove(expression.Name(endOfSaleAttr))
		if end {
			upd = expression.Set(expression.Name(endOfSaleAttr), expression.Value(true))
		}
		for shard, k := range layout.GuardCopies(id) {
			tx.Update(fmt.Sprintf("guard %s %d", id, shard), k, upd, nil)
		}
		return nil
	})
	if err != nil {
		return Product{}, err
	}
	return st.head.product(), nil
}
