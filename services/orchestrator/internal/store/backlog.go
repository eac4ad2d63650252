package store

// Backlog is what the sync runs have left to do, across every run and client: the metrics
// gauges read it once per scrape.
type Backlog struct {
	// Runs counts the runs per unfinished state (queued, running, waiting, failed).
	Runs map[RunState]int64
	// Pending counts the records waiting to be processed.
	Pending int64
	// Parked and DeadLettered count the parked and dead-lettered records per object type.
	Parked, DeadLettered map[ObjectType]int64
}
