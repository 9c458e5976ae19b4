-- The app database on PostgreSQL as first shipped (commit 6c1b5ec), before the columns added in place
-- later (payouts.category, outbox.customer_id and its index) and before the Alembic migrations.
CREATE TABLE outbox (
	id SERIAL NOT NULL,
	idempotency_key VARCHAR(200) NOT NULL,
	kind VARCHAR(50) NOT NULL,
	recipient VARCHAR(320) NOT NULL,
	subject TEXT NOT NULL,
	message_id VARCHAR(200) NOT NULL,
	status VARCHAR(10) NOT NULL,
	attempts INTEGER NOT NULL,
	last_error TEXT,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	sent_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id),
	UNIQUE (idempotency_key)
);
CREATE TABLE outcomes (
	id SERIAL NOT NULL,
	workflow_id VARCHAR(200) NOT NULL,
	complaint_id VARCHAR(100) NOT NULL,
	customer_id VARCHAR(100) NOT NULL,
	category VARCHAR(50) NOT NULL,
	priority VARCHAR(20) NOT NULL,
	outcome VARCHAR(30) NOT NULL,
	root_cause TEXT,
	recurring BOOLEAN,
	severity INTEGER,
	remedy_total NUMERIC(12, 2) NOT NULL,
	currency VARCHAR(3) NOT NULL,
	paid BOOLEAN NOT NULL,
	csat INTEGER,
	received_at TIMESTAMP WITH TIME ZONE NOT NULL,
	closed_at TIMESTAMP WITH TIME ZONE NOT NULL,
	reopened BOOLEAN NOT NULL,
	investigation_escalated BOOLEAN NOT NULL,
	recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (workflow_id)
);
CREATE INDEX ix_outcomes_category ON outcomes (category);
CREATE INDEX ix_outcomes_complaint_id ON outcomes (complaint_id);
CREATE TABLE payouts (
	id SERIAL NOT NULL,
	idempotency_key VARCHAR(200) NOT NULL,
	complaint_id VARCHAR(100) NOT NULL,
	workflow_id VARCHAR(200) NOT NULL,
	customer_id VARCHAR(100) NOT NULL,
	amount NUMERIC(12, 2) NOT NULL,
	currency VARCHAR(3) NOT NULL,
	items JSON NOT NULL,
	approved_by VARCHAR(100) NOT NULL,
	policy_version VARCHAR(100) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (idempotency_key)
);
CREATE INDEX ix_payouts_complaint_id ON payouts (complaint_id);
CREATE INDEX ix_payouts_customer_id ON payouts (customer_id);
