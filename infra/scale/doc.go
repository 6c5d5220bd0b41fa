// Package scale is the write-path scale model behind `make scale`: it runs
// a workload through the real handlers on the local stack, records every
// DynamoDB call of every function with the operation that caused it,
// charges each call the way DynamoDB charges it (table and index
// partitions, from the item images before and after each write), and
// reports the load per partition key per order and the one-vendor ceiling
// that follows from DynamoDB's per-partition limits.
//
// Nothing here knows the table layout: key attributes, indexes and their
// projections come from the deployed table (deployed from template.yaml),
// index keys from the items themselves.
package scale
