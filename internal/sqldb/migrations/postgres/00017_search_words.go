// Package postgres holds the PostgreSQL migrations.
//
// Migration 17 (the words of each message for search, and a full-text index
// over them) is Go code, because it computes the words of every message
// already indexed with the tokenizer search uses (package searchtext): it
// is searchMigration in internal/sqldb/mailsearch.go. This file holds its
// number in the sequence.
package postgres
