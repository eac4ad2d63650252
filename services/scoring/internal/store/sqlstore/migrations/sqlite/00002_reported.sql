-- +goose Up
-- Upstream mode (MSISYNC_SCORING_SOURCE=marketo): the urgency as the customer's Marketo
-- reported it, shown as it is without decay; NULL while the lead's values are msisync's own
-- (then urgency_key holds them). A feed entry keeps the reported urgency likewise.
ALTER TABLE leads ADD COLUMN reported_urgency REAL;
ALTER TABLE changes ADD COLUMN reported_urgency REAL;

-- +goose Down
ALTER TABLE changes DROP COLUMN reported_urgency;
ALTER TABLE leads DROP COLUMN reported_urgency;
