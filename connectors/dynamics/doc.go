// Package dynamics is the Microsoft Dynamics 365 connector of msisync. Its parts:
//
//   - dataverse: a Dataverse Web API v9.2 client (OAuth2 client credentials, paging, change
//     tracking, $batch updates, throttling);
//   - mapping: Dataverse rows to the Marketo records of the MSI sync contract;
//   - state: the connector's durable cursors (delta links, writeback cursor, record fingerprints);
//   - connector: the pull → sync run loop and the MSI writeback loop, over gRPC to the orchestrator;
//   - cli: the `msisync dynamics sync --once|--watch` command line, with progress bars;
//   - simulator: a Dataverse Web API simulator with a generated org, for tests and `make demo`.
package dynamics
