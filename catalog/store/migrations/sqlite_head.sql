-- The SQLite schema the migrations build, at revision 0013. Generated: rewrite it
-- with `python -m catalog.store.schema`, never by hand (catalog/store/schema.py).
-- revision: 0013

CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE course_events (
	id INTEGER NOT NULL, 
	course_id INTEGER NOT NULL, 
	harvest_id INTEGER, 
	event VARCHAR(16) NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(course_id) REFERENCES courses (id) ON DELETE CASCADE, 
	FOREIGN KEY(harvest_id) REFERENCES harvest_runs (id)
);
CREATE TABLE course_runs (
	id INTEGER NOT NULL, 
	course_id INTEGER NOT NULL, 
	"key" VARCHAR(255) NOT NULL, 
	title TEXT, 
	start DATETIME, 
	"end" DATETIME, 
	enrollment_start DATETIME, 
	enrollment_end DATETIME, 
	pacing VARCHAR(16), 
	url VARCHAR(2048), 
	availability VARCHAR(32), 
	is_free BOOLEAN, 
	price VARCHAR(32), 
	currency VARCHAR(3), 
	certificate BOOLEAN, 
	content_hash VARCHAR(32) NOT NULL, 
	first_seen_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, payment_frequency VARCHAR(16), 
	PRIMARY KEY (id), 
	FOREIGN KEY(course_id) REFERENCES courses (id) ON DELETE CASCADE, 
	CONSTRAINT uq_course_runs_course_key UNIQUE (course_id, "key")
);
CREATE TABLE course_search (course_id INTEGER NOT NULL PRIMARY KEY REFERENCES courses (id) ON DELETE CASCADE, title_lower TEXT NOT NULL, title_folded TEXT NOT NULL, folded TEXT NOT NULL);
CREATE TABLE course_sources (
	course_id INTEGER NOT NULL, 
	harvest_id INTEGER, 
	raw TEXT, 
	PRIMARY KEY (course_id), 
	FOREIGN KEY(course_id) REFERENCES courses (id) ON DELETE CASCADE, 
	FOREIGN KEY(harvest_id) REFERENCES harvest_runs (id)
);
CREATE TABLE courses (
	id INTEGER NOT NULL, 
	feed_id VARCHAR(64) NOT NULL, 
	"key" VARCHAR(255) NOT NULL, 
	title TEXT NOT NULL, 
	short_description TEXT, 
	description TEXT, 
	language VARCHAR(35), 
	organization VARCHAR(255), 
	subjects JSON NOT NULL, 
	level VARCHAR(64), 
	effort VARCHAR(255), 
	credits FLOAT, 
	pacing VARCHAR(16), 
	url VARCHAR(2048), 
	image_url VARCHAR(2048), 
	is_free BOOLEAN, 
	certificate BOOLEAN, 
	source_modified_at DATETIME, 
	status VARCHAR(16) NOT NULL, 
	content_hash VARCHAR(32) NOT NULL, 
	precedence VARCHAR(128) NOT NULL, 
	first_seen_at DATETIME NOT NULL, 
	last_seen_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	first_harvest_id INTEGER, 
	last_harvest_id INTEGER, 
	source_url VARCHAR(2048), isced JSON, mode VARCHAR(16), expires DATETIME, provenance JSON, 
	PRIMARY KEY (id), 
	FOREIGN KEY(feed_id) REFERENCES feeds (id), 
	FOREIGN KEY(first_harvest_id) REFERENCES harvest_runs (id), 
	FOREIGN KEY(last_harvest_id) REFERENCES harvest_runs (id), 
	CONSTRAINT uq_courses_feed_key UNIQUE (feed_id, "key")
);
CREATE TABLE derivations (
	name VARCHAR(64) NOT NULL, 
	signature TEXT NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (name)
);
CREATE TABLE feeds (
	id VARCHAR(64) NOT NULL, 
	institution_id VARCHAR(64) NOT NULL, 
	connector VARCHAR(64) NOT NULL, 
	base_url VARCHAR(2048) NOT NULL, 
	cursor JSON, 
	cursor_updated_at DATETIME, 
	created_at DATETIME NOT NULL, resume_cursor JSON, resume_run_id INTEGER, last_success_at DATETIME, last_full_at DATETIME, consecutive_failures INTEGER DEFAULT '0' NOT NULL, needs_review BOOLEAN DEFAULT 0 NOT NULL, review_reason TEXT, lease_holder VARCHAR(64), lease_host VARCHAR(255), lease_pid INTEGER, lease_acquired_at DATETIME, lease_expires_at DATETIME, next_run_at DATETIME, backoff_until DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(institution_id) REFERENCES institutions (id)
);
CREATE TABLE harvest_pages (
	id INTEGER NOT NULL, 
	run_id INTEGER NOT NULL, 
	number INTEGER NOT NULL, 
	url VARCHAR(2048) NOT NULL, 
	keys JSON NOT NULL, 
	withdrawn_keys JSON NOT NULL, 
	created_at DATETIME NOT NULL, source_count INTEGER DEFAULT '0' NOT NULL, etag VARCHAR(512), last_modified VARCHAR(64), next_cursor JSON, not_modified BOOLEAN DEFAULT 0 NOT NULL, digest VARCHAR(64), 
	PRIMARY KEY (id), 
	FOREIGN KEY(run_id) REFERENCES harvest_runs (id) ON DELETE CASCADE
);
CREATE TABLE harvest_runs (
	id INTEGER NOT NULL, 
	feed_id VARCHAR(64) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	started_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	complete BOOLEAN NOT NULL, 
	pages INTEGER NOT NULL, 
	received INTEGER NOT NULL, 
	new INTEGER NOT NULL, 
	updated INTEGER NOT NULL, 
	unchanged INTEGER NOT NULL, 
	withdrawn INTEGER NOT NULL, 
	rejected INTEGER NOT NULL, 
	declared_total INTEGER, 
	error TEXT, 
	"trigger" VARCHAR(16) NOT NULL, mode VARCHAR(16) DEFAULT 'full' NOT NULL, chain_id INTEGER, resumed_from INTEGER, source_count INTEGER DEFAULT '0' NOT NULL, degraded BOOLEAN DEFAULT 0 NOT NULL, held_withdrawals INTEGER DEFAULT '0' NOT NULL, guard TEXT, deleted_unknown INTEGER DEFAULT '0' NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(feed_id) REFERENCES feeds (id)
);
CREATE TABLE held_withdrawals (
	id INTEGER NOT NULL, 
	run_id INTEGER NOT NULL, 
	feed_id VARCHAR(64) NOT NULL, 
	course_id INTEGER NOT NULL, 
	"key" VARCHAR(255) NOT NULL, 
	reason VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(course_id) REFERENCES courses (id) ON DELETE CASCADE, 
	FOREIGN KEY(feed_id) REFERENCES feeds (id), 
	FOREIGN KEY(run_id) REFERENCES harvest_runs (id) ON DELETE CASCADE
);
CREATE TABLE institutions (
	id VARCHAR(64) NOT NULL, 
	names JSON NOT NULL, 
	country VARCHAR(2), 
	timezone VARCHAR(64) NOT NULL, language VARCHAR(8), 
	PRIMARY KEY (id)
);
CREATE TABLE node_secrets (
	name VARCHAR(64) NOT NULL, 
	secret VARCHAR(128) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (name)
);
CREATE TABLE "offers" (
	id INTEGER NOT NULL, 
	course_id INTEGER NOT NULL, 
	run_id INTEGER, 
	offering VARCHAR(64) NOT NULL, 
	audience VARCHAR(64) NOT NULL, 
	rule VARCHAR(64) NOT NULL, 
	term VARCHAR(64), 
	application_start DATETIME, 
	application_end DATETIME, 
	open_now BOOLEAN NOT NULL, 
	seats INTEGER, 
	notes TEXT, 
	host_credits FLOAT, 
	host_system VARCHAR(32), 
	home_credits FLOAT, 
	home_system VARCHAR(32), 
	credits_source VARCHAR(16), 
	equivalence_status VARCHAR(16), 
	equivalence_home_course VARCHAR(255), 
	equivalence_terms JSON, 
	notes_i18n JSON, 
	PRIMARY KEY (id), 
	FOREIGN KEY(course_id) REFERENCES courses (id) ON DELETE CASCADE, 
	FOREIGN KEY(run_id) REFERENCES course_runs (id) ON DELETE CASCADE, 
	CONSTRAINT uq_offers_run_audience UNIQUE (run_id, audience)
);
CREATE TABLE rejected_records (
	id INTEGER NOT NULL, 
	harvest_id INTEGER NOT NULL, 
	"key" VARCHAR(255), 
	reason TEXT NOT NULL, 
	excerpt TEXT, 
	page_url VARCHAR(2048), 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(harvest_id) REFERENCES harvest_runs (id) ON DELETE CASCADE
);
CREATE VIRTUAL TABLE course_search_fts USING fts5(folded, content='course_search', content_rowid='course_id', tokenize='trigram', detail=none);
CREATE INDEX ix_course_events_course ON course_events (course_id);
CREATE INDEX ix_courses_isced_missing ON courses (id) WHERE isced IS NULL;
CREATE INDEX ix_courses_published ON courses (updated_at, feed_id, "key");
CREATE INDEX ix_courses_status ON courses (status);
CREATE INDEX ix_harvest_pages_run ON harvest_pages (run_id);
CREATE INDEX ix_harvest_runs_feed_started ON harvest_runs (feed_id, started_at);
CREATE INDEX ix_held_withdrawals_feed ON held_withdrawals (feed_id);
CREATE INDEX ix_offers_audience ON offers (audience);
CREATE INDEX ix_offers_course ON offers (course_id);
CREATE UNIQUE INDEX uq_offers_course_audience_runless ON offers (course_id, audience) WHERE run_id IS NULL;
CREATE TRIGGER course_search_ad AFTER DELETE ON course_search BEGIN INSERT INTO course_search_fts (course_search_fts, rowid, folded) VALUES ('delete', old.course_id, old.folded); END;
CREATE TRIGGER course_search_au AFTER UPDATE ON course_search BEGIN INSERT INTO course_search_fts (course_search_fts, rowid, folded) VALUES ('delete', old.course_id, old.folded); INSERT INTO course_search_fts (rowid, folded) VALUES (new.course_id, new.folded); END;
