// Package marketoclient is msisync's client of a customer's Marketo instance (upstream
// mode): the REST calls the forwarder and the preflight check need (describe, sync by key,
// query leads, daily usage), with Marketo's limits respected and shared by every caller in
// the process (calls per sliding window, calls at once, calls per day with a share kept
// free for the customer's other integrations), the access token cached and renewed, and
// failures retried with backoff and jitter where that is safe.
//
// Only idempotent requests are offered, so that a retry after a timeout or a dropped
// connection (when Marketo may have applied the first attempt) changes nothing: describes,
// queries and usage are reads, and every sync is keyed (createOrUpdate or updateOnly by a
// dedupe field or id), so applying it twice leaves the same record. Never add
// createDuplicate or a create without a key to this client without making its calls
// non-retryable.
//
// It lives in the platform module so that the orchestrator (its forwarder) and the msisync
// command line (`msisync marketo check`) can both import it.
package marketoclient
