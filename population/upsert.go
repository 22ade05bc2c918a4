package population

// UpsertStats counts what an upsert did with each row it was given.
type UpsertStats struct {
	Inserted  int // new residents
	Updated   int // existing residents (matched by ID number) whose fields changed
	Unchanged int // existing residents identical to the row given
	// Erased counts rows for residents erased on request (package
	// retention): they are not written, so an import or sync of the
	// source, which still holds them, does not bring them back.
	Erased int
}

// Add returns the sum of s and o.
func (s UpsertStats) Add(o UpsertStats) UpsertStats {
	return UpsertStats{s.Inserted + o.Inserted, s.Updated + o.Updated, s.Unchanged + o.Unchanged, s.Erased + o.Erased}
}
