package gen

import (
	"fmt"
	"strings"
)

// Everything here is fictional: companies, people, addresses, phone numbers
// and tax ids are made up, in the style of the project's example QMS.

type company struct {
	name, domain, city string
	// regions are the primary and the standby hosting region.
	regions []string
}

var companies = []company{
	{"Bernina Health Software AG", "bernina-health.example.com", "Chur", []string{"ch-north-1 (Zürich)", "ch-west-1 (Geneva)"}},
	{"Lyskamm Digital Care GmbH", "lyskamm-care.example.com", "Basel", []string{"ch-north-1 (Zürich)", "ch-west-1 (Geneva)"}},
	{"Morteratsch Medical Systems AG", "morteratsch-med.example.com", "Winterthur", []string{"ch-north-1 (Zürich)", "ch-west-1 (Geneva)"}},
	{"Tödi Therapeutics Software AG", "toedi-software.example.com", "Zug", []string{"eu-central-2 (Zürich)", "eu-central-1 (Frankfurt)"}},
}

var areaCodes = []int{21, 22, 31, 41, 43, 44, 52, 58, 61, 71, 79}

var firstNames = []string{
	"Anna", "Lucia", "Tobias", "Samuel", "Marco", "Julia", "Lena", "David", "Nina", "Jonas",
	"Sarah", "Luca", "Elena", "Fabian", "Chiara", "Simon", "Laura", "Patrick", "Sophie", "Matthias",
	"Carla", "Reto", "Noemi", "Stefan", "Mia", "Thomas", "Leonie", "Andrea", "Daniel", "Jana",
	"Martin", "Alessia", "Pascal", "Céline", "Raphael", "Vanessa", "Florian", "Nora", "Adrian", "Sandra",
	"Priya", "Kenji", "Amira", "Mateo", "Ingrid", "Tomasz", "Aylin", "Mehmet", "Olga", "Sean",
	"Zoë", "Björn", "Hélène", "Jürg", "Dario", "Ursina", "Gian", "Flurina", "Ruth", "Beat",
}

var lastNames = []string{
	"Keller", "Rossi", "Meier", "Nguyen", "Brunner", "Müller", "Schmid", "Weber", "Huber", "Fischer",
	"Baumann", "Frei", "Gerber", "Steiner", "Moser", "Widmer", "Zimmermann", "Graf", "Wyss", "Bianchi",
	"Ferrari", "Rochat", "Favre", "Bonvin", "Morel", "Gasser", "Kälin", "Egli", "Roth", "Lüthi",
	"Sutter", "Hofmann", "Marti", "Suter", "Bühler", "Vogel", "Koch", "Amstutz", "Caviezel", "Tscharner",
	"Schneider", "Lehmann", "Zürcher", "Arnold", "Christen", "Fontana", "Pereira", "Kovač", "Novak", "Yilmaz",
	"Okafor", "Tanaka", "Sharma", "Kowalski", "Andersen", "O'Brien", "Dubois", "Jäggi", "Casutt", "Derungs",
}

var positions = map[string][]string{
	"JD-001": {"Managing Director", "Deputy General Manager"},
	"JD-002": {"Quality Manager", "Quality and Regulatory Affairs Manager", "QA/RA Specialist"},
	"JD-003": {"Engineering Manager", "Head of Platform Engineering", "Principal Engineer"},
	"JD-004": {"Operations Manager", "Site Reliability Lead", "Infrastructure Lead"},
	"JD-005": {"Software Engineer", "Senior Software Engineer", "DevOps Engineer", "Backend Developer",
		"Mobile Developer", "Test Engineer", "Site Reliability Engineer", "Data Engineer"},
}

var duties = map[string][]string{
	"JD-001": {
		"approves the Business Continuity and Disaster Recovery Plan and every staff and supplier record",
		"may activate the disaster recovery plan and informs the notified body and competent authorities where the vigilance procedure requires it",
		"signs the yearly management review of the quality management system",
	},
	"JD-002": {
		"owns the quality management system and the QMS repository",
		"approves incident and continuity test reports and reviews plan revisions",
		"assesses every major and catastrophic incident for vigilance reporting",
		"keeps the supplier list and the yearly supplier evaluations up to date",
	},
	"JD-003": {
		"reviews incident and continuity test reports and plan revisions",
		"may activate the disaster recovery plan and leads technical recovery",
		"owns the architecture of the production services and its recovery objectives",
	},
	"JD-004": {
		"runs production operations and the on-call rotation",
		"plans and executes the continuity tests and reviews their reports",
		"keeps the runbooks for failover and environment replication current",
	},
	"JD-005": {
		"authors incident and test reports for the incidents and tests they work on",
		"executes recovery steps under the direction of the incident owner",
		"takes part in the on-call rotation after completing the on-call training",
	},
}

var trainings = []string{
	"Quality management system introduction (SOP-001), completed",
	"Incident handling and disaster recovery plan (GP-100), yearly refresher completed",
	"Signing records with a personal key (WI-014), completed",
	"On-call training and shadowing, two rotations completed",
	"Data protection and patient confidentiality, yearly refresher completed",
	"IEC 62304 software lifecycle for developers, completed",
	"Failover runbook RB-07 walk-through, completed",
	"Environment replication runbook RB-09 walk-through, completed",
}

type country struct {
	forms   []string
	phone   string
	cities  []string
	streets []string
	addr    string // street, number, postcode, city
	tax     func(g *generator) string
	post    func(g *generator) string
	local   func(g *generator) string
}

func (c country) taxID(g *generator) string    { return c.tax(g) }
func (c country) postcode(g *generator) string { return c.post(g) }

func digits(g *generator, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteByte(byte('0' + g.intn(10)))
	}
	return b.String()
}

var countries = []country{
	{
		forms: []string{"AG", "GmbH", "SA"}, phone: "+41",
		cities:  []string{"Zürich", "Bern", "Basel", "Lausanne", "Lugano", "St. Gallen", "Luzern", "Zug"},
		streets: []string{"Bahnhofstrasse", "Industriestrasse", "Seestrasse", "Hauptstrasse", "Rue du Lac", "Via Industria"},
		addr:    "%s %d, %s %s, Switzerland",
		tax: func(g *generator) string {
			return fmt.Sprintf("CHE-%s.%s.%s", digits(g, 3), digits(g, 3), digits(g, 3))
		},
		post:  func(g *generator) string { return fmt.Sprint(g.between(1000, 9658)) },
		local: func(g *generator) string { return fmt.Sprintf("%d 555 %s", pick(g, areaCodes), digits(g, 4)) },
	},
	{
		forms: []string{"GmbH", "AG", "SE"}, phone: "+49",
		cities:  []string{"München", "Frankfurt am Main", "Berlin", "Stuttgart", "Hamburg", "Karlsruhe"},
		streets: []string{"Hauptstraße", "Industriestraße", "Gartenweg", "Am Hafen", "Lindenallee"},
		addr:    "%s %d, %s %s, Germany",
		tax:     func(g *generator) string { return "DE" + digits(g, 9) },
		post:    func(g *generator) string { return digits(g, 5) },
		local:   func(g *generator) string { return fmt.Sprintf("%d 555 %s", g.between(30, 89), digits(g, 4)) },
	},
	{
		forms: []string{"GmbH"}, phone: "+43",
		cities:  []string{"Wien", "Graz", "Linz", "Innsbruck", "Salzburg"},
		streets: []string{"Ringstraße", "Landstraße", "Technologiepark", "Mariahilfer Straße"},
		addr:    "%s %d, %s %s, Austria",
		tax:     func(g *generator) string { return "ATU" + digits(g, 8) },
		post:    func(g *generator) string { return fmt.Sprint(g.between(1010, 9990)) },
		local:   func(g *generator) string { return fmt.Sprintf("1 555 %s", digits(g, 4)) },
	},
	{
		forms: []string{"Inc.", "LLC"}, phone: "+1",
		cities:  []string{"Seattle, WA", "Austin, TX", "Boston, MA", "Denver, CO", "San Jose, CA"},
		streets: []string{"Market Street", "Pine Avenue", "Harbor Drive", "Innovation Way", "Main Street"},
		addr:    "%[2]d %[1]s, %[4]s %[3]s, United States",
		tax: func(g *generator) string {
			return fmt.Sprintf("EIN %s-%s", digits(g, 2), digits(g, 7))
		},
		post:  func(g *generator) string { return digits(g, 5) },
		local: func(g *generator) string { return fmt.Sprintf("%d 555 %s", g.between(201, 989), digits(g, 4)) },
	},
	{
		forms: []string{"Ltd", "DAC"}, phone: "+353",
		cities:  []string{"Dublin", "Cork", "Galway"},
		streets: []string{"Harcourt Street", "Grand Canal Quay", "Docklands Road"},
		addr:    "%[2]d %[1]s, %[4]s %[3]s, Ireland",
		tax:     func(g *generator) string { return "IE" + digits(g, 7) + string(rune('A'+g.intn(26))) },
		post:    func(g *generator) string { return fmt.Sprintf("D%02d X%s", g.between(1, 24), digits(g, 3)) },
		local:   func(g *generator) string { return fmt.Sprintf("1 555 %s", digits(g, 4)) },
	},
	{
		forms: []string{"B.V."}, phone: "+31",
		cities:  []string{"Amsterdam", "Rotterdam", "Eindhoven", "Utrecht"},
		streets: []string{"Keizersgracht", "Stationsplein", "Strijpsestraat", "Westblaak"},
		addr:    "%s %d, %s %s, Netherlands",
		tax:     func(g *generator) string { return "NL" + digits(g, 9) + "B" + digits(g, 2) },
		post: func(g *generator) string {
			return fmt.Sprintf("%d %c%c", g.between(1000, 9999), 'A'+g.intn(26), 'A'+g.intn(26))
		},
		local: func(g *generator) string { return fmt.Sprintf("20 555 %s", digits(g, 4)) },
	},
	{
		forms: []string{"SAS", "SA"}, phone: "+33",
		cities:  []string{"Paris", "Lyon", "Grenoble", "Toulouse"},
		streets: []string{"rue de la République", "avenue des Alpes", "quai du Rhône"},
		addr:    "%[2]d %[1]s, %[3]s %[4]s, France",
		tax:     func(g *generator) string { return "FR" + digits(g, 11) },
		post:    func(g *generator) string { return digits(g, 5) },
		local:   func(g *generator) string { return fmt.Sprintf("4 55 55 %s", digits(g, 4)) },
	},
	{
		forms: []string{"S.r.l.", "S.p.A."}, phone: "+39",
		cities:  []string{"Milano", "Torino", "Bologna", "Bolzano"},
		streets: []string{"Via Roma", "Corso Italia", "Via dell'Industria"},
		addr:    "%s %d, %s %s, Italy",
		tax:     func(g *generator) string { return "IT" + digits(g, 11) },
		post:    func(g *generator) string { return digits(g, 5) },
		local:   func(g *generator) string { return fmt.Sprintf("02 555 %s", digits(g, 4)) },
	},
}

var supplierWords = []string{
	"Nimbus", "Tresor", "Quill", "Alpen", "Glacier", "Lumen", "Ortler", "Säntis", "Rhône", "Jura",
	"Engadin", "Brenta", "Pilatus", "Titlis", "Helio", "Cobalt", "Meridian", "Vector", "Basalt", "Kestrel",
	"Ardent", "Silvan", "Corvid", "Halcyon", "Polaris", "Granite", "Cirrus", "Tamina", "Albula", "Furka",
}

type category struct {
	key       string
	nouns     []string
	mailboxes []string
	services  []string
	critical  int // percent of suppliers of this kind that are critical
	about     string
}

var categories = []category{
	{
		key: "hosting", nouns: []string{"Cloud", "Hosting", "Compute"}, mailboxes: []string{"enterprise-support", "noc"},
		services: []string{"Infrastructure as a service in two regions", "Managed Kubernetes clusters",
			"Object storage with versioning and object lock", "DNS and load balancing", "Private network interconnect",
			"DDoS protection"},
		critical: 90,
		about:    "hosts production services and the standby environment; an outage of its primary region triggers the disaster recovery plan",
	},
	{
		key: "database", nouns: []string{"Data Services", "Database", "Backup"}, mailboxes: []string{"support", "dba-oncall"},
		services: []string{"Managed PostgreSQL clusters with synchronous replicas", "Off-site encrypted backups, 35-day retention",
			"Write-ahead-log archiving", "Cross-region database replicas", "Immutable backup vault"},
		critical: 85,
		about:    "operates the managed databases and the off-site backups from which the backend is restored",
	},
	{
		key: "notify", nouns: []string{"Notify", "Messaging", "Push"}, mailboxes: []string{"support", "help"},
		services: []string{"Transactional email", "SMS delivery in Europe", "Mobile push notifications",
			"Delivery status webhooks"},
		critical: 40,
		about:    "sends stakeholder notices, patient reminders and push notifications",
	},
	{
		key: "telecom", nouns: []string{"Telecom", "Networks", "Connect"}, mailboxes: []string{"business-support", "noc"},
		services: []string{"Office internet access with backup line", "Mobile phone contracts for the on-call team",
			"IoT SIM cards for patient devices", "SIP trunk for the support hotline"},
		critical: 30,
		about:    "provides the network connections of the office, the on-call phones and the patients' devices",
	},
	{
		key: "security", nouns: []string{"Security", "Cyber Defence", "Secure"}, mailboxes: []string{"soc", "contact"},
		services: []string{"Yearly penetration test of all production services", "Managed security operations centre",
			"Vulnerability scanning", "Incident response retainer (40 hours a year)"},
		critical: 20,
		about:    "tests and monitors the security of the production services and supports incident response",
	},
	{
		key: "monitoring", nouns: []string{"Monitoring", "Observability", "Uptime"}, mailboxes: []string{"support"},
		services: []string{"Synthetic health checks from four locations", "Log aggregation and retention (400 days)",
			"On-call paging and escalation", "Status page"},
		critical: 50,
		about:    "runs the synthetic checks and the paging through which incidents are detected",
	},
	{
		key: "identity", nouns: []string{"Identity", "Auth"}, mailboxes: []string{"support"},
		services: []string{"Single sign-on for staff", "Patient authentication service", "Hardware security keys"},
		critical: 35,
		about:    "provides sign-in for staff and patients",
	},
	{
		key: "devices", nouns: []string{"Devices", "Medical Electronics", "Sensorik"}, mailboxes: []string{"oem-support", "service"},
		services: []string{"Manufacture of the patients' measurement devices", "Device firmware maintenance",
			"Device repair and replacement service"},
		critical: 60,
		about:    "manufactures and maintains the measurement devices that send data to the device gateway",
	},
	{
		key: "office", nouns: []string{"IT Services", "Informatik", "Workplace"}, mailboxes: []string{"servicedesk"},
		services: []string{"Laptops and office IT support", "Mobile device management", "Office backup"},
		critical: 5,
		about:    "supports the office IT, which is outside the scope of the plan",
	},
	{
		key: "consulting", nouns: []string{"Regulatory Consulting", "Compliance", "Quality Partners"}, mailboxes: []string{"office"},
		services: []string{"Regulatory consulting for EU MDR", "Internal audits of the QMS", "Translation of instructions for use"},
		critical: 5,
		about:    "supports regulatory affairs and internal audits",
	},
}

var services = map[string]struct {
	name  string
	parts []string
}{
	"patient-app":    {"patient app", []string{"the patient app's web API", "the push notification relay", "the patient login service", "the diary sync endpoint"}},
	"admin-portal":   {"admin portal", []string{"the admin portal's web servers", "the PDF report worker", "the clinic user directory sync", "the portal's session store"}},
	"backend":        {"backend", []string{"the core API", "the primary PostgreSQL node", "the job workers", "the internal message queue"}},
	"device-gateway": {"device gateway", []string{"the device ingestion endpoint", "the MQTT broker", "the measurement queue", "the device certificate service"}},
}

// scenario is a kind of incident, with the prose that describes it.
// Placeholders: {Svc} {svc} {comp} {sup} {supid} {owner} {rep} {rel}
// {region} {standby} {down} {loss} {chg}.
type scenario struct {
	title    string
	levels   []string
	service  string // the service it hits at lower levels; "" any
	supplier string // the supplier category involved; "" none
	symptom  string
	fix      string
	summary  string
	rca      string
	lessons  []string
}

var scenarios = []scenario{
	{
		title: "{Svc} unavailable after expired TLS certificate on the load balancer", levels: []string{"minimal", "moderate"},
		symptom: "Synthetic check for {svc} fails with a certificate error",
		fix:     "Renewed certificate deployed to the load balancer",
		summary: "The TLS certificate of the {svc} load balancer expired at midnight UTC. Clients refused the connection and the {Svc} was unreachable for users until a renewed certificate was deployed. The automatic renewal job had failed silently for three weeks.",
		rca:     "The certificate renewal job lost its permission to write to the load balancer after an access policy change ({chg}). It logged an error every night, but the log was not monitored and the expiry alert had been configured for 3 days before expiry on a certificate list that no longer included this load balancer.",
		lessons: []string{"Certificate expiry is now monitored from outside for every public endpoint, alerting 21 days ahead.",
			"Access policy changes now go through the same review as code changes.",
			"The renewal job pages the on-call engineer when it fails twice in a row."},
	},
	{
		title: "Memory leak in {comp} after release {rel}", levels: []string{"minimal", "moderate"},
		symptom: "Latency alert for {svc} (p95 above 5 s)",
		fix:     "Rolling restart; release {rel} rolled back",
		summary: "Users reported that the {Svc} was slow and timed out. Memory of {comp} had grown steadily since release {rel} and pushed the pods to their memory limit. A rolling restart restored normal response times; the release was rolled back the same day.",
		rca:     "Release {rel} upgraded a library that keeps a cache per request without a size bound. Memory grew with every request until the pods were throttled and restarted by the platform. Contributing cause: the load test before the release ran for 20 minutes, too short to show the growth.",
		lessons: []string{"A memory alert at 80 % of the limit was added for all services.",
			"The release load test now runs for two hours and compares memory at start and end.",
			"The library upgrade was re-applied with the cache bounded."},
	},
	{
		title: "Log volume full on {comp}", levels: []string{"minimal"},
		symptom: "Disk usage alert for {comp} at 95 %",
		fix:     "Old log files rotated and volume extended",
		summary: "The log volume of {comp} filled up after debug logging was left enabled following an investigation. Writes to the log blocked request handling for some requests of the {Svc}; most users saw no effect.",
		rca:     "Debug logging was switched on in production during an investigation and not switched off. Log rotation was configured by age, not by size, so the volume filled within two days.",
		lessons: []string{"Debug logging in production now switches itself off after four hours.",
			"Log rotation is configured by size as well as by age on every service."},
	},
	{
		title: "Failed database migration in release {rel} blocks the {Svc}", levels: []string{"moderate", "major"}, service: "backend",
		symptom: "Error rate of the core API above 20 % after deployment of release {rel}",
		fix:     "Migration reverted; schema restored from the pre-deployment snapshot",
		summary: "The database migration shipped with release {rel} locked a large table for longer than expected. Requests queued up and the core API returned errors; the {Svc} and the services depending on it were unavailable or degraded until the migration was reverted.",
		rca:     "The migration added an index without building it concurrently. On production data volumes the table lock was held for minutes, not the seconds measured on staging, whose data set is a hundred times smaller. The deployment checklist did not require a migration dry run on a production-sized copy.",
		lessons: []string{"Migrations are dry-run on a production-sized, anonymised copy before every release.",
			"The migration linter now refuses index creation without CONCURRENTLY.",
			"Releases with migrations are deployed in the maintenance window."},
	},
	{
		title: "Regional outage at the hosting provider", levels: []string{"major", "catastrophic"}, supplier: "hosting",
		symptom: "Region {region} unreachable; synthetic checks fail for all services",
		fix:     "All services healthy in the standby region {standby}",
		summary: "A power and cooling failure at {sup} ({supid}) took the region {region} offline. The incident owner {owner} invoked the disaster recovery plan and failed the services over to the standby region {standby}. Services were down for {down} minutes; up to {loss} minutes of data written just before the outage could not be recovered.",
		rca:     "Direct cause: a failed transfer to generator power at the provider's data centre after a utility outage. Our recovery took longer than the failover test predicted because the standby region had too little warm capacity and nodes had to be started from cold images.",
		lessons: []string{"Guaranteed standby capacity is now reserved in the standby region.",
			"The failover test now starts from the standby region's real capacity, not from a pre-scaled one.",
			"The supplier's generator test schedule is reviewed in the yearly supplier evaluation."},
	},
	{
		title: "Storage failure of the primary database node with blocked automatic failover", levels: []string{"major"}, service: "backend", supplier: "database",
		symptom: "I/O errors on the primary database node; backend checks fail",
		fix:     "Cross-region replica promoted; backend pointed at the new primary",
		summary: "The storage volume of the primary PostgreSQL node operated by {sup} ({supid}) failed. Automatic failover did not happen because the synchronous replica was in maintenance. {owner} activated the disaster recovery plan and promoted the asynchronous replica by hand. Up to {loss} minutes of writes were lost.",
		rca:     "Direct cause: hardware failure of the storage volume. Failover was blocked because the supplier started a version upgrade of the synchronous replica outside the agreed maintenance window. The failover runbook assumed a healthy synchronous replica and did not describe promoting the cross-region replica.",
		lessons: []string{"The runbook now covers promoting the cross-region replica and was rehearsed.",
			"The supplier confirmed in writing that maintenance outside the agreed window needs our approval.",
			"Replica health is part of the pre-release checklist."},
	},
	{
		title: "DNS misconfiguration after change {chg} makes the {Svc} unreachable", levels: []string{"moderate", "minimal"},
		symptom: "Synthetic check for {svc} fails: name does not resolve",
		fix:     "DNS record restored from the infrastructure code",
		summary: "A DNS change ({chg}) removed a record that the {Svc} depends on. Clients with a cached answer kept working; new sessions failed until the record was restored from the infrastructure code.",
		rca:     "The change was applied by hand in the provider's console instead of through the infrastructure code, so the review did not see that the record was still in use. The record's TTL of one hour stretched the effect.",
		lessons: []string{"Console write access to DNS was removed; changes go through the infrastructure code only.",
			"A nightly drift check compares the DNS zone with the infrastructure code."},
	},
	{
		title: "Notification provider outage delays patient reminders and notices", levels: []string{"minimal", "moderate"}, service: "patient-app", supplier: "notify",
		symptom: "Delivery webhooks from the notification provider stop arriving",
		fix:     "Provider recovered; queued notifications delivered",
		summary: "The notification provider {sup} ({supid}) had an outage of its European delivery cluster. Push notifications and reminder emails to patients were delayed; no message was lost, because they were queued and delivered after the provider recovered.",
		rca:     "The cause was on the provider's side: a failed configuration rollout in their delivery cluster. On our side, the fallback to the company mail server is manual and was not used because the delay stayed below the threshold in the plan.",
		lessons: []string{"The fallback to the company mail server was automated for stakeholder notices.",
			"Notification delivery delay is now shown on the operations dashboard."},
	},
	{
		title: "Message queue backlog delays device measurements", levels: []string{"minimal", "moderate"}, service: "device-gateway",
		symptom: "Measurement queue depth above 50,000 messages",
		fix:     "Consumers scaled out; backlog drained",
		summary: "After a firmware update of the patients' devices, devices re-sent buffered measurements at the same time. The measurement queue backed up and new measurements reached clinics with a delay of up to two hours. No measurement was lost.",
		rca:     "The firmware update reset the devices' upload schedule to the same minute. The queue consumers did not scale on queue depth, only on CPU, which stayed low while they waited on database writes.",
		lessons: []string{"Queue consumers now scale on queue depth.",
			"The device supplier added random jitter to the upload schedule in the next firmware."},
	},
	{
		title: "Autoscaling misconfiguration exhausts {Svc} capacity at peak load", levels: []string{"moderate", "minimal"},
		symptom: "Error rate of {svc} above 5 %; pods pending",
		fix:     "Autoscaling limits corrected; extra nodes added",
		summary: "At the Monday morning peak, the {Svc} could not start enough pods because the cluster autoscaler had reached its node limit. Users saw errors and timeouts for part of the morning.",
		rca:     "The node limit had been lowered during a cost review without checking peak load. The capacity dashboard showed the limit but no alert existed for it.",
		lessons: []string{"An alert fires when the cluster is within 20 % of its node limit.",
			"Capacity changes need the sign-off of the Head of Operations."},
	},
	{
		title: "Expired API credentials for a supplier interface", levels: []string{"minimal", "moderate"}, supplier: "identity",
		symptom: "Authentication errors from the supplier API for {svc}",
		fix:     "New credentials issued and stored in the secrets manager",
		summary: "The API credentials used by the {Svc} to call {sup} ({supid}) expired. Sign-in for some users failed until new credentials were issued.",
		rca:     "The credentials had a fixed lifetime of one year. Their expiry date was not recorded anywhere we monitor, and the supplier's reminder email went to a former employee's mailbox.",
		lessons: []string{"Every supplier credential is recorded with its expiry in the secrets manager, which alerts 30 days ahead.",
			"Supplier contacts point to shared mailboxes, not to people."},
	},
	{
		title: "Ransomware on the backup storage account: production restored from immutable backups", levels: []string{"catastrophic"}, supplier: "security",
		symptom: "Encrypted files and a ransom note found in the backup storage account",
		fix:     "All services restored in {standby} from the immutable backup vault",
		summary: "An attacker used a leaked access key to encrypt data in the backup storage account and in the production databases. The incident owner {owner} invoked the disaster recovery plan, isolated the compromised accounts and rebuilt production in {standby} from the immutable backup vault. Services were down for {down} minutes and {loss} minutes of data were lost. {sup} ({supid}) supported the forensic analysis.",
		rca:     "An access key with write access to production and backups was stored in a CI configuration file and leaked through a public fork. The key was not bound to an IP range and not rotated. The immutable backup vault, introduced after the previous year's test, made recovery possible.",
		lessons: []string{"Long-lived access keys were replaced by short-lived workload identities.",
			"Secret scanning blocks commits containing keys in every repository.",
			"Backups are written by an account that cannot delete or overwrite them.",
			"The competent authority and the data protection authority were informed as the vigilance procedure requires."},
	},
	{
		title: "Accidental deletion of the production namespace during maintenance", levels: []string{"major", "catastrophic"},
		symptom: "All pods of the production namespace terminating",
		fix:     "Namespace recreated from infrastructure code; data restored",
		summary: "During planned maintenance, a cleanup script meant for the staging cluster ran against production and deleted the production namespace. {owner} activated the disaster recovery plan; the services were recreated from infrastructure code and the data restored from backups.",
		rca:     "The script selected its cluster from the current kubeconfig context, which still pointed at production after an earlier task. No guard refused destructive operations on production, and the maintenance checklist did not ask for the context to be checked.",
		lessons: []string{"Destructive scripts now refuse to run against production without an explicit flag and a second person's confirmation.",
			"Production access needs a separate, time-limited role.",
			"The maintenance checklist includes checking the target cluster."},
	},
	{
		title: "Network partition between availability zones in {region}", levels: []string{"moderate", "major"},
		symptom: "Cross-zone latency above 2 s; replication lag alerts",
		fix:     "Traffic pinned to the healthy zones until the network recovered",
		summary: "A network fault at the hosting provider partitioned one availability zone of {region}. Requests crossing zones timed out and the {Svc} degraded until traffic was pinned to the healthy zones.",
		rca:     "The provider's faulty switch firmware caused the partition. Our services spread across zones assumed cross-zone calls always succeed, and timeouts were longer than the clients' own, so failing calls were not retried elsewhere.",
		lessons: []string{"Client timeouts and retries are now set per call path and tested with injected latency.",
			"Zonal failover was added to the failover test (T01)."},
	},
	{
		title: "Emergency patch of a critical library vulnerability in {comp}", levels: []string{"minimal", "moderate"},
		symptom: "Security advisory for a library used by {comp}",
		fix:     "Patched build deployed; exposure check completed",
		summary: "A critical vulnerability was published in a library used by {comp}. The patched build was deployed within six hours; the {Svc} restarted in a rolling fashion and was briefly unavailable for some users. No sign of exploitation was found in the logs.",
		rca:     "Not a failure as such: the service depended on a library with a critical vulnerability. The software bill of materials made it possible to find every affected service within 30 minutes.",
		lessons: []string{"The emergency patch procedure worked; its six-hour target was met.",
			"Rolling restarts of the {Svc} will keep one spare pod to avoid the brief unavailability."},
	},
}

// remedies are the remedy steps of each incident level, as the plan lists them.
var remedies = map[string][]string{
	"minimal": {
		"Monitor: confirm the alert on the dashboards",
		"Alert: page the on-call engineer",
		"Assess: identify the component and the likely cause",
		"Communicate: post a status in the operations channel",
		"Reboot: restart the component or roll back the last change",
	},
	"moderate": {
		"Contain: isolate the failing component, stop deployments",
		"Inform the Head of Operations and send the initial notice to affected clinics within one hour",
		"Check device-side and queue buffering so that no measurement is dropped",
		"Restore the service from the last good state and verify with the synthetic checks",
		"Send the resolution notice",
	},
	"major": {
		"Activate the disaster recovery plan and name the incident owner",
		"Fail over the affected services to the standby nodes or region",
		"Initial notice to all clinics and distributors within one hour, updates every two hours",
		"Restore lost data from backups and verify its integrity",
		"Assess vigilance reporting duties with the Quality Manager",
		"Send the resolution notice",
	},
	"catastrophic": {
		"Invoke the disaster recovery plan (the first activator reached)",
		"Fail over all services to the standby region",
		"Restore databases from the off-site backups and replay the archived log",
		"Keep stakeholders informed: initial notice within 30 minutes, updates every hour",
		"Engage the critical suppliers' emergency support",
		"Verify every service with the synthetic checks",
		"Send the resolution notice",
		"Plan the return to the primary region",
	},
}

var timelineEvents = map[string][]string{
	"minimal":      {"{owner} takes ownership; level minimal", "Status posted in the operations channel", "Cause narrowed down to {comp}"},
	"moderate":     {"{owner} takes ownership; level moderate", "Deployments stopped", "Initial notice to affected clinics", "Head of Operations informed", "Buffering of device measurements checked"},
	"major":        {"{owner} activates the DRP, level major", "Initial notice to clinics and distributors", "Failover of the affected services started", "Update notice", "Data restore from backup started", "Vigilance assessment with the Quality Manager"},
	"catastrophic": {"{owner} invokes the DRP, level catastrophic", "Initial notice (email and SMS)", "Failover to {standby} started", "Critical suppliers' emergency lines engaged", "Database restore and log replay started", "Update notice", "Update notice", "Services coming up in {standby}"},
}

var evidence = []string{
	"Synthetic checks for {svcs} green again from {end} (monitoring export attached to the operations ticket).",
	"Error rate and p95 latency back to their usual values for the following 24 hours.",
	"Row counts and checksums of the largest tables compared with the last base backup plus replayed log: consistent.",
	"Device measurement queue drained; no messages in the dead-letter queue.",
	"Sample of 20 patient accounts checked by support: data complete up to the recovery point.",
	"Clinic users confirmed by phone that the {Svc} works normally.",
	"The standby capacity was rebuilt and is in sync again.",
	"Backups taken after recovery restored successfully in the staging account.",
}

var summaryExtras = []string{
	"No patient was harmed. The clinical risk assessment (risk file RM-003, hazard H-12 delayed data) found no need for field safety corrective action.",
	"Support received {n} calls and emails from clinics during the incident; each was answered with the current status.",
	"The incident was recorded by {rep}, who noticed the first alert, and handed over to {owner} as incident owner.",
	"Measurements taken by devices during the incident were buffered on the devices and delivered after recovery.",
	"The incident did not affect the other production services.",
}

var rcaExtras = []string{
	"Five whys: the service failed because {comp} stopped responding; it stopped because of the direct cause above; that was possible because no check caught it before production; no check existed because this failure mode was not in the risk analysis; it was not there because the risk analysis had not been updated since the architecture change of the previous year.",
	"Contributing factor: the alert that fired first was a symptom alert, not a cause alert, which cost time during diagnosis.",
	"The recovery itself went as the plan describes; the time to recover was spent mainly on diagnosis, not on the recovery steps.",
	"Corrective and preventive actions are tracked as CAPA-{year}-{n3} in the quality system.",
}

var lessonExtras = []string{
	"The runbook was updated with the steps that worked, and the on-call team walked through it.",
	"The risk analysis was updated with this failure mode.",
	"The next continuity test will cover this scenario.",
	"The stakeholder notice templates worked well and need no change.",
}

var actionNotes = []string{
	"Steps were done in the order of the plan; times and names are in the timeline above.",
	"Follow-up actions are tracked as CAPA-{year}-{n3}.",
	"The incident owner kept the bridge call open until the resolution notice was sent.",
}

var testResources = map[string][]string{
	"T01": {
		"Production account, Kubernetes cluster of the primary region",
		"Managed PostgreSQL cluster (primary and synchronous replica)",
		"Synthetic health checks of all services",
		"Failover runbook {runbook}, version {ym}",
		"Bridge call and operations channel for observers",
		"Chaos tooling to stop nodes and databases",
	},
	"T02": {
		"Infrastructure code repository, tag {tag}",
		"Off-site backups of the test day and archived write-ahead log",
		"Object storage replica in the standby region",
		"Environment replication runbook {runbook}, version {ym}",
		"Isolated staging account with production-sized quotas",
		"Test DNS names for the rebuilt environment",
	},
}

var testSteps = map[string][]string{
	"T01": {
		"check that every synthetic health check is green (baseline)",
		"stop the primary database node",
		"drain and delete the application nodes of the first availability zone",
		"let the platform fail over without manual intervention",
		"record per service the time until the synthetic checks are green again",
		"record the age of the newest committed transaction and device measurement after failover",
		"fail back in the same window and check the baseline again",
	},
	"T02": {
		"create network, cluster and databases from infrastructure code",
		"restore the newest base backup and replay the archived write-ahead log",
		"deploy the released versions of all services",
		"point the test DNS names at the new environment and run the synthetic checks",
		"compare the newest restored transaction and measurement with production at the start of the test",
		"delete the environment and confirm that no data is left in the staging account",
	},
}

var testIncidents = []string{
	"The {svc} health alert did not fire while the service was down; the monitoring rule was fixed the next day.",
	"A stale DNS entry kept some clients on the old {svc} endpoint for about 5 minutes.",
	"One job worker kept retrying against the stopped database and filled its log volume.",
	"The status page was not updated automatically during the test.",
	"A certificate for the standby endpoint of the {svc} was close to expiry and was renewed.",
}

var testDeviations = []string{
	"The {svc} DNS record had a TTL of 300 s instead of the 60 s assumed by the runbook, adding about 4 minutes.",
	"The runbook step to scale up standby nodes was done by hand because the automation failed.",
	"The test started 25 minutes late because a production deployment was still running.",
	"The infrastructure code needed a manual fix (outdated provider version pin, about 30 minutes).",
	"The newest write-ahead-log segment had not been shipped off-site yet; the archive interval is longer than the plan assumes.",
	"Restoring object storage was throttled by the provider's API rate limit for about 20 minutes.",
	"One observer could not join; the timing was taken by the executor alone.",
}

var recommendations = []string{
	"Add a check of DNS TTLs to the pre-test checklist.",
	"Automate the scale-up of standby nodes and test it monthly.",
	"Shorten the write-ahead-log archive interval to 5 minutes.",
	"Keep the infrastructure code's provider versions current with a monthly update job.",
	"Ask the hosting provider for a higher API rate limit during recovery.",
	"Repeat the test for the {svc} after the corrective action, before the next scheduled run.",
	"Add the measured times to the operations dashboard so that trends are visible.",
	"Rehearse the runbook with a second team member so that the test does not depend on one person.",
}

const matrixText = `---
id: matrix
roles:
  JD-001: General Manager
  JD-002: Quality Manager
  JD-003: Head of Engineering
  JD-004: Head of Operations
  JD-005: Software Engineer
rules:
  - kinds: [incident, test]
    review: {any_of: [JD-003, JD-004], min: 1}
    approve: {any_of: [JD-001, JD-002], min: 1}
  - kinds: [plan]
    review: {any_of: [JD-002, JD-003], min: 1}
    approve: {any_of: [JD-001], min: 1}
  - kinds: [staff, supplier]
    review: {any_of: [JD-002], min: 1}
    approve: {any_of: [JD-001], min: 1}
govern: [JD-001, JD-002]
separation_of_duties: true
---

# Responsibility matrix

This matrix says who must review and who must approve each kind of quality
record at %s. A record is released only when it carries valid signatures
(signed commits) from at least ` + "`min`" + ` distinct people holding one of the
listed roles for both review and approval. Because separation of duties is in
force, nobody may review or approve a record they authored; the stand-in
arrangements in the staff records make sure that a second qualified person is
always available.

Only holders of a governing role (JD-001 General Manager, JD-002 Quality
Manager) may change staff records, signing keys under ` + "`keys/`" + `, or this matrix.

## Roles

| Code   | Job description     | Typical responsibilities                                         |
|--------|---------------------|------------------------------------------------------------------|
| JD-001 | General Manager     | Approves the plan, staff and supplier records; activates the DRP |
| JD-002 | Quality Manager     | Owns the QMS; approves incident and test reports; reviews plans  |
| JD-003 | Head of Engineering | Reviews incident and test reports and plans; activates the DRP   |
| JD-004 | Head of Operations  | Runs continuity tests; reviews incident and test reports         |
| JD-005 | Software Engineer   | Authors incident and test reports; executes recovery steps       |

## Signing rules

| Record kinds        | Review (any of, min 1) | Approval (any of, min 1) |
|---------------------|------------------------|--------------------------|
| incident, test      | JD-003, JD-004         | JD-001, JD-002           |
| plan                | JD-002, JD-003         | JD-001                   |
| staff, supplier     | JD-002                 | JD-001                   |
`

// ascii lowercases a name and spells it in ASCII letters, for handles and
// mailboxes: "Müller" → "mueller".
func ascii(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == 'ä' || r == 'æ':
			b.WriteString("ae")
		case r == 'ö' || r == 'ø':
			b.WriteString("oe")
		case r == 'ü':
			b.WriteString("ue")
		case r == 'é' || r == 'è' || r == 'ê' || r == 'ë':
			b.WriteByte('e')
		case r == 'à' || r == 'á' || r == 'â':
			b.WriteByte('a')
		case r == 'ç' || r == 'č':
			b.WriteByte('c')
		case r == 'ô' || r == 'ó':
			b.WriteByte('o')
		case r == 'ï' || r == 'í':
			b.WriteByte('i')
		case r == 'ß':
			b.WriteString("ss")
		}
	}
	return b.String()
}

// slug makes a host name label from a company name.
func slug(name string) string {
	var parts []string
	for _, w := range strings.Fields(name) {
		if a := ascii(w); a != "" && !legalForm[w] {
			parts = append(parts, a)
		}
	}
	return strings.Join(parts, "-")
}

var legalForm = map[string]bool{"AG": true, "GmbH": true, "SA": true, "SE": true, "Inc.": true, "LLC": true,
	"Ltd": true, "DAC": true, "B.V.": true, "SAS": true, "S.r.l.": true, "S.p.A.": true}
