package campaigns

// SkipNoSlot: a visit_schedule resident whose grid worker has no free
// visit slot within the allocator's horizon (or no grid worker, or
// visiting hours that do not parse). The fan-out logs which.
const SkipNoSlot SkipReason = "no_slot"
