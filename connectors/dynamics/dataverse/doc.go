// Package dataverse is a small client for the Microsoft Dataverse Web API v9.2, the API
// behind Dynamics 365 Sales, made for the msisync Dynamics connector.
//
// What it does (the Dataverse facts behind each point are in docs/dataverse-facts.md):
//
//   - OAuth2 client credentials against Microsoft Entra ID (scope "<URL>/.default",
//     parameters in the form body). The token is cached and renewed shortly before it
//     expires: early by min(5 minutes, a tenth of its lifetime), so an hour-long token is
//     renewed 5 minutes early and a 2-second test token 200ms early. A 401 from the API
//     drops the cached token, fetches a new one and retries the request once.
//   - The standard headers on every request (Accept, OData-MaxVersion, OData-Version,
//     If-None-Match: null on GETs) and one combined Prefer header
//     `odata.include-annotations="*",odata.maxpagesize=N[,odata.track-changes]`.
//   - Reads: Query (first page, with $select / $filter or change tracking) and Follow
//     (a @odata.nextLink or @odata.deltaLink, sent exactly as received). Rows are decoded
//     with json.Number numbers; $deletedEntity entries become Page.Deleted ids. An expired
//     delta token is reported as ErrDeltaExpired.
//   - Writes: update-only PATCH (If-Match: *) one at a time or in one multipart $batch with
//     odata.continue-on-error; parts answered 429/5xx are retried in a smaller batch.
//   - Service protection: 429 (and 503 with Retry-After) waits the full Retry-After (capped
//     at 5 minutes per wait) without using an attempt, until the request's ThrottleBudget
//     of waiting is spent (then a *ThrottleBudgetError); 5xx and
//     network errors back off exponentially with full jitter, requests in flight are
//     bounded by MaxConcurrency (< 52, the Dataverse concurrency limit); the semaphore is
//     not held while waiting. The default HTTP client has no cookie jar, so no
//     server-affinity cookie pins the client to one web server.
//
// A Client is safe for concurrent use.
package dataverse
