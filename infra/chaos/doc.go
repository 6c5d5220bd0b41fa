// Package chaos injects real faults into a running platform and checks what
// must still hold afterwards. It is the machinery of `make test-faults`:
//
//   - Proxy is a toxiproxy proxy (the library, in process) between the
//     platform's AWS clients and the emulator, to add latency, reset
//     connections and cut the link;
//   - Injector is AWS SDK middleware that answers chosen calls with the
//     service's own error responses (DynamoDB throttling, SQS outages),
//     which the SDK then parses and retries exactly as it would real ones;
//   - Receiver is a webhook endpoint that verifies signatures with the
//     Standard Webhooks library and can be taken down and brought back;
//   - Check scans the table and the queues and reports every broken
//     invariant: an order without its assets, requests or events, a
//     duplicate, an event that did not reach a matching webhook exactly
//     once, a stuck request or file, a message in a DLQ.
package chaos
