// Package simulator is an in-memory Microsoft Dataverse Web API v9.2 environment for the
// Dynamics connector's end-to-end tests and the demo. It follows the Dataverse facts in
// docs/dataverse-facts.md, which also says where the simulator had to choose.
//
// A *Simulator is an http.Handler; the base URL of each request is http://<Host>, so it
// works behind httptest.NewServer:
//
//	sim := simulator.New(simulator.Options{Seed: &simulator.SeedOptions{Random: 7, Accounts: 50}})
//	srv := httptest.NewServer(sim)
//
// # Endpoints
//
//   - POST /{tenant}/oauth2/v2.0/token — client credentials (form fields, or HTTP Basic for the
//     client id/secret); scope must be "<base URL>/.default". Errors use the Entra ID shape.
//   - GET /api/data/v9.2/WhoAmI
//   - GET /api/data/v9.2/<set> — $select, $filter ("col eq value" joined by "and"), $top,
//     $skiptoken; Prefer odata.maxpagesize, odata.track-changes, odata.include-annotations;
//     $deltatoken (deltaLinks). $orderby is accepted only as "<primary id> [asc]"; $expand,
//     $count, $skip, $apply are refused with 400.
//   - GET, PATCH, DELETE /api/data/v9.2/<set>(<guid>); POST /api/data/v9.2/<set>.
//   - POST /api/data/v9.2/$batch (multipart/mixed).
//   - GET /api/data/v9.2/EntityDefinitions(LogicalName='x') and .../Attributes.
//
// Entity sets: systemusers, teams, accounts, contacts, leads, opportunities, connections,
// connectionroles. Every API request needs a bearer token issued by the simulator.
//
// # Behaviour notes and simplifications
//
//   - Rows are served in primary-id order. $skiptoken is a Dataverse-like paging cookie that
//     carries the position; it is safe to GET nextLinks unchanged.
//   - Change tracking uses one org-wide version number. A deltaLink's token is the version at
//     the moment the first page of the load was served, so changes made while paging show up
//     (possibly again) in the next delta. Delta pages list changed rows first, then deleted
//     rows as $deletedEntity entries. Delta tokens unknown to this instance (e.g. after a
//     restart) are treated as expired.
//   - Lookup annotations: lookuplogicalname and FormattedValue (the target's primary name);
//     FormattedValue of the out-of-box option sets and of one custom one (labels.go);
//     associatednavigationproperty is not produced.
//   - Custom columns, as an org's own, in the data and the metadata (not seeded):
//     new_favouritecolour (text) on contacts and leads, cr123_tier (whole number) and the
//     option set cr123_segment on contacts.
//   - PATCH bodies may set lookups as "_x_value" (a simulator convenience) or with
//     "x@odata.bind": "/accounts(<guid>)". fullname is recomputed from firstname/lastname.
//   - Connections written through the Web API are stored as single rows; the reciprocal pair
//     is created by Connect / ConnectRecords (and the seed). Deleting either row of a pair
//     deletes both.
//   - Deleting an account or a contact removes the links to it (Dataverse's Remove Link
//     delete behaviour): the lookups of accounts, contacts, leads and opportunities that
//     named it are cleared, each a change in the delta feed; owners and an opportunity's
//     customerid are left as they are. Teams carry an administrator (administratorid).
//   - $filter: comparisons "column eq|ne literal" joined by and/or, with parentheses; other
//     operators and functions answer 400. $filter is refused with change tracking, as in
//     Dataverse.
//   - accounts, contacts, leads and opportunities have Marketo's sync column new_synctomkto
//     (Boolean, null on every seeded row; set it with PATCH /_sim/rows/{set}/{id}).
//   - A deleted row can be restored (Restore, POST /_sim/rows/{set}/{id}/restore): it comes
//     back with its id and columns and shows in the delta feed as a changed row.
//   - Webhooks: serviceendpoints and sdkmessageprocessingsteps rows created through the Web
//     API (with the seeded sdkmessages Create, Update, Delete and their sdkmessagefilters per
//     table) make the simulator POST a RemoteExecutionContext after each matching operation,
//     asynchronously and retried (see webhooks.go).
//   - $batch: change sets run as a plain sequence without rollback (their responses are
//     nested in a changesetresponse part). Without Prefer: odata.continue-on-error the batch
//     stops after the first failing operation and answers HTTP 200 with the responses so far,
//     the failing one last. A faulted (throttled, failed, unauthorized) $batch counts as one
//     request; operations inside a batch are not subject to faults.
//   - Order of checks on each API request: concurrency limit (429 0x80072326), bearer token
//     (401), injected faults (Throttle, then FailNext), optional latency, then the request.
//
// # Admin API (no authentication; for the demo and out-of-process tests)
//
//	GET    /_sim/stats           Stats as JSON
//	POST   /_sim/stats/reset     zero the counters and the PATCH log
//	GET    /_sim/seedreport      SeedReport as JSON
//	GET    /_sim/patches         the PATCH log ([]PatchRecord)
//	GET    /_sim/webhooks        webhook deliveries (WebhookStats; see webhooks.go)
//	POST   /_sim/faults          {"throttle":{"count":3,"retryAfterSeconds":2},
//	                              "fail":{"count":2,"status":503},
//	                              "expireAccessTokens":true,"expireDeltaTokens":true,
//	                              "latencyMs":50}        (every field optional) → 204
//	DELETE /_sim/faults          cancel pending throttle/fail faults and the latency override
//	POST   /_sim/rows/{set}      upsert a row (JSON object) → {"id":"<guid>"}
//	GET    /_sim/rows/{set}/{id} a row's columns
//	PATCH  /_sim/rows/{set}/{id} update columns → 204
//	DELETE /_sim/rows/{set}/{id} delete (tombstone) → 204
//	POST   /_sim/rows/{set}/{id}/restore  restore a deleted row with its id → 204 (see Restore)
//	POST   /_sim/connect         {"opportunityId":"..","contactId":"..","role":"Champion"} → {"id":"<master>"}
//	POST   /_sim/qualify         {"leadId":".."} → {"contactId":".."}: QualifyLead into a new contact
//	POST   /_sim/merge           {"entitySet":"contacts","masterId":"..","subordinateId":".."} → 204: Merge
package simulator
