package main

import (
	"context"
	"fmt"
	"io"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/catalog"
)

// demo is what the local stack seeds: accounts are created once per stack
// (aliases make a second run reuse them) and tokens are minted on every run,
// because a stored token can never be shown again.
type demo struct {
	admin, vendor, provider account.Created
	marketplace             catalog.Marketplace
}

func seed(ctx context.Context, a *app.App) (demo, error) {
	var d demo
	var err error
	if d.admin, err = a.Accounts.Ensure(ctx, "local-admin", account.CreateAccountInput{Type: account.Admin, Name: "Mercato Admin"}); err != nil {
		return d, err
	}
	if d.vendor, err = a.Accounts.Ensure(ctx, "demo-vendor", account.CreateAccountInput{Type: account.Vendor, Name: "Front Street Inc.", Email: "vendor@frontstreet.example"}); err != nil {
		return d, err
	}
	if d.provider, err = a.Accounts.Ensure(ctx, "demo-provider", account.CreateAccountInput{Type: account.Provider, Name: "Apollo Hub", Email: "provider@apollo.example"}); err != nil {
		return d, err
	}
	d.marketplace, err = demoMarketplace(ctx, a, d.provider)
	return d, err
}

func demoMarketplace(ctx context.Context, a *app.App, provider account.Created) (catalog.Marketplace, error) {
	p := account.Principal{AccountID: provider.ID, AccountType: provider.Type, AccountName: provider.Name, TokenID: provider.Token.ID}
	mps, err := a.Catalog.ListMarketplaces(ctx, p)
	if err != nil || len(mps) > 0 {
		if len(mps) > 0 {
			return mps[0], nil
		}
		return catalog.Marketplace{}, err
	}
	return a.Catalog.CreateMarketplace(ctx, p, catalog.MarketplaceInput{
		Name: "Apollo US & Canada", Description: "The demo provider's storefront", Currency: "USD", Countries: []string{"US", "CA"},
	})
}

func (d demo) vars(apiURL string) map[string]string {
	return map[string]string{
		"MERCATO_API_URL":        apiURL,
		"MERCATO_ADMIN_TOKEN":    d.admin.Token.Value,
		"MERCATO_VENDOR_TOKEN":   d.vendor.Token.Value,
		"MERCATO_PROVIDER_TOKEN": d.provider.Token.Value,
		"MERCATO_MARKETPLACE_ID": d.marketplace.ID,
		"MERCATO_VENDOR_ID":      d.vendor.ID,
		"MERCATO_PROVIDER_ID":    d.provider.ID,
	}
}

func (d demo) print(w io.Writer, envFile string) {
	fmt.Fprintf(w, "admin     %-12s token %s\n", d.admin.ID, d.admin.Token.Value)
	fmt.Fprintf(w, "vendor    %-12s token %s  (%s)\n", d.vendor.ID, d.vendor.Token.Value, d.vendor.Name)
	fmt.Fprintf(w, "provider  %-12s token %s  (%s)\n", d.provider.ID, d.provider.Token.Value, d.provider.Name)
	fmt.Fprintf(w, "market    %-12s %s, %s %v\n", d.marketplace.ID, d.marketplace.Name, d.marketplace.Currency, d.marketplace.Countries)
	fmt.Fprintf(w, "env       . %s\n", envFile)
}
