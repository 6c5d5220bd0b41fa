package webhook

import "fmt"

// The examples of order.* and subscription.* are the resources the
// ordering and fulfillment packages build, as literals: the dispatcher
// links this package, and these examples alone would make it link those
// two packages (and their dependencies). TestExamples_AreTheResources
// builds them with the functions that build the events' data, so that they
// cannot drift from what is sent.

// orderExample is an order resource; %s is its status.
const orderExample = `{"id":"5cf72f146967","alternateId":"5cf72f146967","referenceCustomerId":"4d3cf487-7a7b-4f5c-9a8e-7a1f2b3c4d5e","billingCycle":"monthly","currencyCode":"USD","currencySymbol":"$","lineItems":[{"lineItemNumber":0,"offerId":"PRD-387-522-630:0001:MP-71206","subscriptionId":"AS-7658-9572-0778","termDuration":"P1M","transactionType":"New","friendlyName":"Cloud Backup 100 GB","quantity":5,"partnerIdOnRecord":"873452","provisioningContext":{"param_tenant":"contoso"},"links":{"availability":{"uri":"/v1/products/PRD-387-522-630/skus/0001/availabilities/MP-71206?country=US","method":"GET","headers":[]},"product":{"uri":"/v1/products/PRD-387-522-630?country=US","method":"GET","headers":[]},"sku":{"uri":"/v1/products/PRD-387-522-630/skus/0001?country=US","method":"GET","headers":[]},"subscription":{"uri":"/v1/customers/4d3cf487-7a7b-4f5c-9a8e-7a1f2b3c4d5e/subscriptions/AS-7658-9572-0778","method":"GET","headers":[]}}}],"creationDate":"2026-11-22T10:15:29Z","status":"%s","transactionType":"UserPurchase","links":{"patchOperation":{"uri":"/v1/customers/4d3cf487-7a7b-4f5c-9a8e-7a1f2b3c4d5e/orders/5cf72f146967","method":"PATCH","headers":[]},"provisioningStatus":{"uri":"/v1/customers/4d3cf487-7a7b-4f5c-9a8e-7a1f2b3c4d5e/orders/5cf72f146967/provisioningstatus","method":"GET","headers":[]},"self":{"uri":"/v1/customers/4d3cf487-7a7b-4f5c-9a8e-7a1f2b3c4d5e/orders/5cf72f146967","method":"GET","headers":[]}},"client":{},"attributes":{"objectType":"Order"}}`

const subscriptionExample = `{"id":"AS-7658-9572-0778","offerId":"PRD-387-522-630:0001:MP-71206","offerName":"Cloud Backup","friendlyName":"Cloud Backup 100 GB","quantity":7,"unitType":"users","creationDate":"2026-11-22T10:15:29Z","effectiveStartDate":"2026-11-22T10:15:29Z","commitmentEndDate":"2026-12-22T10:15:29Z","cancellationAllowedUntilDate":"2026-11-29T10:15:29Z","status":"active","autoRenewEnabled":true,"billingCycle":"monthly","termDuration":"P1M","orderId":"5cf72f146967","partnerId":"873452","suspensionReasons":[],"links":{"availability":{"uri":"/v1/products/PRD-387-522-630/skus/0001/availabilities/MP-71206?country=US","method":"GET","headers":[]},"product":{"uri":"/v1/products/PRD-387-522-630?country=US","method":"GET","headers":[]},"self":{"uri":"/v1/customers/4d3cf487-7a7b-4f5c-9a8e-7a1f2b3c4d5e/subscriptions/AS-7658-9572-0778","method":"GET","headers":[]},"sku":{"uri":"/v1/products/PRD-387-522-630/skus/0001?country=US","method":"GET","headers":[]}},"attributes":{"objectType":"Subscription"}}`

func exampleOrder(status string) string { return fmt.Sprintf(orderExample, status) }

func exampleSubscription() string { return subscriptionExample }
