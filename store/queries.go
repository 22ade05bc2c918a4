package store

import (
	"bufio"
	"embed"
	"fmt"
	"slices"
	"strings"
)

//go:embed queries/*.sql
var queryFiles embed.FS

// queryNames lists every named query the store runs; loadQueries fails
// unless a dialect's file defines each of them, so a missing query is an
// Open error rather than a runtime surprise.
var queryNames = []string{
	"MigrateLock", "MigrateInit", "MigrateApplied", "MigrateRecord",
	"UpsertGrid", "Grids", "Grid", "GridParent",
	"ReleaseWorkerRole", "UpsertWorker", "Workers", "WorkerForGrid",
	"ResidentByID", "ResidentByHash", "ResidentByPhone", "ResidentByOpenID",
	"ResidentSealedID", "CountResidents", "MatchResidents",
	"HouseholdID", "InsertHousehold", "InsertResident", "UpdateResident",
	"DeleteCategories", "DeleteSkills", "DeleteJobs",
	"InsertCategories", "InsertSkills", "InsertJobs", "InsertOptOuts",
	"ResidentExists", "InsertOptOut", "DeleteOptOut", "TouchResident",
	"OpenIDOwner", "BindOpenID",
	"SegmentCount", "SegmentPage", "SegmentStream", "Analyze", "SegmentSample",
	"UpsertSegment", "Segment", "Segments", "DeleteSegment",
	"SyncCursor", "SetSyncCursor",
	"BulkDropIndexes", "EnsureIndexes",
	// ledger
	"InsertCampaign", "UpdateCampaign", "CampaignState", "CampaignByID", "Campaigns",
	"ApplyCampaignState", "InsertCampaignEvent", "CampaignEvents",
	"InsertRun", "RunCheckpoint", "AdvanceRun", "FinishRun",
	"InsertMessages", "ChunkMessages", "InsertMessage", "CampaignMessageByKey", "ReminderByKey",
	"MessageByID", "MessagesByStatus", "PendingSingles", "StuckSending", "ResidentMessages", "ClaimMessage",
	"MessageForMove", "AdvanceMessage", "FillMessage", "RescheduleMessage", "MarkAttempt",
	"InsertMessageEvent", "MessageEvents", "MessageByProvider", "Funnel", "SentCounts", "StaleSent",
	"CampaignWaiting", "Deliveries", "TemplateStatus",
	"DeleteTemplates", "InsertTemplates", "Templates",
	"BookedSlots", "InsertSlot", "SlotHolders", "SetSlotState", "ResidentsByIDs",
	"SlotFor", "WorkerVisits", "DueReminders",
	// tickets
	"InsertInbound", "InboundByProvider", "LinkInbound", "UnknownSenders",
	"InsertTicket", "TicketByID", "TicketForUpdate", "UpdateTicket", "InsertTicketEvent", "TicketEvents",
	"Tickets", "OpenTicketFor", "DueTickets", "UpsertAnswer", "CampaignAnswers", "OpenTicketsByAssignee",
	"TicketsCreatedBetween", "ClosedBefore", "InboundByID", "MarkInboundHandled",
	"TicketBacklog",
	// desk
	"WorkerByID", "WorkerByCode", "InsertLeave", "EndLeave", "DropLeave", "LeaveAt", "Leaves",
	"Conversation", "ReplyWindow",
	"LatestOutreach", "CampaignByExtendCode", "ProposedVisit", "RatableTicket", "OpenTicketsByGrid",
	"SupersedeBindings", "InsertBinding", "PendingBinding", "BindingAttempt", "UseBinding", "BindingExists",
	// reported events and attachments
	"InsertAttachment", "AttachmentsOf", "AttachmentByID", "AttachmentOfInbound", "HouseholdGrid",
	// dispatch
	"InsertTask", "UpdateTask", "TaskByID", "TasksOfTicket", "DepartmentTasks", "InsertTaskEvent", "TaskEvents",
	"DispatchFigures", "DispatchedTickets",
	// supervision (督办)
	"InsertSupervision", "ClearSupervisions", "SupervisionsOfTicket", "ActiveSupervisions", "SupervisedTickets",
	// users
	"InsertUser", "UpdateUser", "UserByToken", "UserByName", "UserByTokenAny", "Users", "CountUsers",
	// audit
	"AuditHead", "InsertAudit", "AuditEntries", "AuditEntriesNewest", "AuditPage",
	// retention and erasure
	"RetentionMark", "SetRetentionMark",
	"RetentionMessages", "PurgeMessages", "RetentionInbound", "PurgeInbound",
	"RetentionTickets", "PurgeTicketNotes", "PurgeTickets", "RetentionBindings", "PurgeBindings",
	"ErasureTarget", "ErasureOf", "EraseResident", "EraseOptOuts", "InsertErasure", "EraseBindings",
	"EraseSkipPending", "EraseMessagesTo", "EraseMessagesAbout", "EraseMessagesToKeys", "EraseTicketsFromKeys",
	"EraseInboundFrom", "EraseInboundAbout", "EraseInboundFromKeys", "EraseTickets", "OpenTicketsOf", "CancelVisitsOf",
	// visit register (走访台账)
	"RegisterHouseholds", "RegisterRecords", "VisitRecordByID", "VisitPhotos", "RegisterWorkerSlots", "RegisterGridSlots",
	"ResidentHousehold", "SlotToClose", "TicketExists", "InsertVisitRecord", "InsertVisitPhoto", "CloseVisitSlot",
	"EraseVisitNotes", "EraseQueueVisitPhotos", "EraseVisitPhotos", "InsertTicketReporter", "EventsReported", "MissingMedia", "FillAttachment",
	// living records (活户籍)
	"RecordsOf", "RecordForChange", "UpdateRecord", "ChangeWorker", "InsertChange", "InactiveSkipPending",
	"ResidentChanges", "ChangesSince", "FieldChangesOf", "RecordsUpdated", "EraseChanges", "EraseRecord",
	"RegisterRecordPhotos",
}

// dialectQueries are the named queries only one dialect uses (its bulk
// path, PostgreSQL's audit lock).
var dialectQueries = map[string][]string{
	DriverSQLite:   {"CategoriesOf", "SkillsOf", "JobsOf", "OptOutsOf", "MaxResidentID", "BulkResident", "BulkWALRelax", "BulkWALRestore", "ForeignKeysOff", "ForeignKeysOn", "ForeignKeyCheck"},
	DriverPostgres: {"ChildrenOf", "UpsertHouseholds", "InsertResidents", "UpdateResidents", "BulkReserveIDs", "BulkHouseholdStage", "BulkHouseholdInsert", "BulkHouseholdIDs", "AuditLock"},
}

// childQueries are the queries that read residents' child rows, by
// dialect: each takes the residents' ids as one argument and returns
// (kind, resident id, value) rows. PostgreSQL reads every child table in
// one round trip; SQLite, in process, runs a statement per table.
// RecordsOf reads the living record's values that are not at their
// default (kinds 4 to 8) the same way.
var childQueries = map[string][]string{
	DriverSQLite:   {"CategoriesOf", "SkillsOf", "JobsOf", "OptOutsOf", "RecordsOf"},
	DriverPostgres: {"ChildrenOf", "RecordsOf"},
}

// whereMarker is where a compiled segment's boolean fragment goes in the
// SegmentCount and SegmentPage templates.
const whereMarker = "/*where*/"

// queries maps a query name to its SQL for one dialect.
type queries map[string]string

// loadQueries reads queries/<driver>.sql: blocks that start with a
// "-- name: X" line and run to the next one. Comment lines inside a block
// are kept (the databases ignore them).
func loadQueries(driver string) (queries, error) {
	b, err := queryFiles.ReadFile("queries/" + driver + ".sql")
	if err != nil {
		return nil, fmt.Errorf("store: queries for %s: %w", driver, err)
	}
	q, err := parseQueries(string(b))
	if err != nil {
		return nil, fmt.Errorf("store: queries/%s.sql: %w", driver, err)
	}
	var missing []string
	for _, n := range append(slices.Clone(queryNames), dialectQueries[driver]...) {
		if _, ok := q[n]; !ok {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("store: queries/%s.sql: missing %s", driver, strings.Join(missing, ", "))
	}
	return q, nil
}

func parseQueries(src string) (queries, error) {
	q := queries{}
	var name string
	var body strings.Builder
	flush := func() error {
		if name == "" {
			return nil
		}
		text := strings.TrimSpace(body.String())
		text = strings.TrimSuffix(text, ";")
		if text == "" {
			return fmt.Errorf("query %s is empty", name)
		}
		if _, dup := q[name]; dup {
			return fmt.Errorf("query %s defined twice", name)
		}
		q[name] = text
		body.Reset()
		return nil
	}
	sc := bufio.NewScanner(strings.NewReader(src))
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(strings.TrimSpace(line), "-- name:"); ok {
			if err := flush(); err != nil {
				return nil, err
			}
			name = strings.TrimSpace(n)
			continue
		}
		if name != "" {
			body.WriteString(line)
			body.WriteByte('\n')
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return q, sc.Err()
}

// get returns the named query; names are checked at load, so a miss is a bug.
func (q queries) get(name string) string {
	s, ok := q[name]
	if !ok {
		panic("store: unknown query " + name)
	}
	return s
}

// withWhere returns the named template with a compiled segment fragment in
// place of /*where*/. The fragment is SQL the segment compiler produced with
// its values as bound arguments; nothing user-supplied is spliced.
func (q queries) withWhere(name, where string) string {
	return strings.Replace(q.get(name), whereMarker, where, 1)
}
