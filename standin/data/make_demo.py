#!/usr/bin/env python3
"""Write demo.json, the stand-in's demo fixture, next to this script.

The data is generated deterministically (fixed seed, name-based UUIDs), so
running this again gives the same file byte for byte.  Tenant "acme" on host
acme.integrify.local; credentials are for the local stand-in only.
"""

import json
import os
import random
import uuid

NS = uuid.UUID("6f1c2a60-3c1e-4b55-9a43-1d0b5e7d2c11")
RNG = random.Random(20240517)
HERE = os.path.dirname(os.path.abspath(__file__))


def guid(name):
    """A stable GUID for a named thing."""
    return str(uuid.uuid5(NS, name))


def col(name, label):
    return {"name": name, "label": label}


def exposed(mapping, expose, operator="Is"):
    return {"MappingVal": mapping, "Expose": expose, "Operator": operator,
            "FieldType": "textfield"}


# --------------------------------------------------------------------------
# People and credentials

USERS = [
    ("svc_intake", "Intake", "Service Account", "svc_intake@acme.example"),
    ("alice.meyer", "Alice", "Meyer", "alice.meyer@acme.example"),
    ("bob.okafor", "Bob", "Okafor", "bob.okafor@acme.example"),
    ("chen.wei", "Wei", "Chen", "wei.chen@acme.example"),
    ("jose.garcia", "José", "García", "jose.garcia@acme.example"),
    ("dana.kowalski", "Dana", "Kowalski", "dana.kowalski@acme.example"),
]


def users():
    return [{"userName": u, "contactSid": guid("user/" + u), "contactId": 100 + n,
             "ntId": "ACME\\" + u, "firstName": first, "lastName": last, "email": email}
            for n, (u, first, last, email) in enumerate(USERS, 1)]


# --------------------------------------------------------------------------
# Reports

DIVISIONS = [
    ("FIN", "Finance", ["Accounts Payable", "Accounts Receivable", "Financial Planning & Analysis",
                        "Treasury", "Corporate Tax", "Internal Audit", "Payroll", "Procurement",
                        "Group Controlling", "Investor Relations", "Credit Management",
                        "Revenue Accounting", "Fixed Assets", "Travel & Expenses",
                        "Finance Systems"]),
    ("OPS", "Operations", ["Supply Chain Planning", "Logistics", "Warehouse Operations",
                           "Quality Assurance", "Manufacturing Engineering", "Plant Maintenance",
                           "Health, Safety & Environment", "Fleet Management", "Customs & Trade",
                           "Demand Planning", "Returns Processing", "Supplier Quality",
                           "Production Scheduling", "Packaging", "Continuous Improvement"]),
    ("ENG", "Engineering", ["Platform Engineering", "Mobile Apps", "Web Frontend", "Data Platform",
                            "Site Reliability", "Embedded Systems", "Test Automation",
                            "Developer Experience", "Machine Learning", "Security Engineering",
                            "Architecture Office", "Release Management", "Hardware Design",
                            "Firmware", "Technical Writing"]),
    ("SAL", "Sales", ["Enterprise Sales DACH", "Enterprise Sales Nordics", "Mid-Market EMEA",
                      "Inside Sales", "Channel Partners", "Sales Operations", "Key Accounts",
                      "Public Sector", "Sales Engineering", "Deal Desk", "Sales Enablement",
                      "Americas Commercial", "APAC Commercial", "Renewals", "Bid Management"]),
    ("MKT", "Marketing", ["Brand & Creative", "Digital Marketing", "Product Marketing", "Events",
                          "Corporate Communications", "Marketing Operations", "Content Studio",
                          "Market Research", "Partner Marketing", "Demand Generation",
                          "Social Media", "Public Relations", "Web Content", "Customer Advocacy",
                          "Localization"]),
    ("HR", "People & Culture", ["Talent Acquisition", "Learning & Development", "Compensation & Benefits",
                                "HR Business Partners", "HR Operations", "Employee Relations",
                                "Workplace Experience", "Diversity & Inclusion", "HR Analytics",
                                "Mobility & Immigration", "Onboarding", "Pensions",
                                "Occupational Health", "Works Council Liaison",
                                "Organisational Design"]),
    ("LEG", "Legal & Compliance", ["Commercial Contracts", "Intellectual Property",
                                   "Data Protection Office", "Regulatory Affairs", "Litigation",
                                   "Corporate Secretariat", "Export Control", "Ethics Hotline",
                                   "Risk Management", "Insurance", "Compliance Monitoring",
                                   "Policy Office", "Records Management", "Trade Sanctions",
                                   "Anti-Bribery Programme"]),
    ("IT", "Information Technology", ["Service Desk", "End-User Computing", "Network Services",
                                      "Identity & Access Management", "Enterprise Applications",
                                      "ERP Competence Center", "Collaboration Services",
                                      "IT Security Operations", "Data Center Operations",
                                      "Cloud Infrastructure", "IT Asset Management",
                                      "Telephony & Mobile", "Business Intelligence",
                                      "IT Procurement", "Project Management Office"]),
]


def departments():
    rows = []
    for code, division, names in DIVISIONS:
        for n, name in enumerate(names, 1):
            rows.append(["%s-%03d" % (code, n * 10), name, division])
    return {"sid": guid("report/departments"), "name": "Departments", "category": "Lookups",
            "columns": [col("Department|Code", "Code"), col("Department|Name", "Department"),
                        col("Department|Division", "Division")],
            "exposed_filters": [exposed("Department|Division", "Division"),
                                exposed("Department|Name", "Search", "Contains")],
            "rows": rows}


# (code, city, country, region)
CITIES = [
    ("ZRH", "Zürich", "Switzerland", "EMEA"), ("GVA", "Genève", "Switzerland", "EMEA"),
    ("BSL", "Basel", "Switzerland", "EMEA"), ("MUC", "München", "Germany", "EMEA"),
    ("CGN", "Köln", "Germany", "EMEA"), ("DUS", "Düsseldorf", "Germany", "EMEA"),
    ("HAM", "Hamburg", "Germany", "EMEA"), ("BER", "Berlin", "Germany", "EMEA"),
    ("VIE", "Wien", "Austria", "EMEA"), ("GRZ", "Graz", "Austria", "EMEA"),
    ("KRK", "Kraków", "Poland", "EMEA"), ("WRO", "Wrocław", "Poland", "EMEA"),
    ("LCJ", "Łódź", "Poland", "EMEA"), ("GDN", "Gdańsk", "Poland", "EMEA"),
    ("PRG", "Praha", "Czechia", "EMEA"), ("BRQ", "Brno", "Czechia", "EMEA"),
    ("ARE", "Åre", "Sweden", "EMEA"), ("MMX", "Malmö", "Sweden", "EMEA"),
    ("GOT", "Göteborg", "Sweden", "EMEA"), ("STO", "Stockholm", "Sweden", "EMEA"),
    ("CPH", "København", "Denmark", "EMEA"), ("AAR", "Aarhus", "Denmark", "EMEA"),
    ("OSL", "Oslo", "Norway", "EMEA"), ("TOS", "Tromsø", "Norway", "EMEA"),
    ("HEL", "Helsinki", "Finland", "EMEA"), ("REK", "Reykjavík", "Iceland", "EMEA"),
    ("PAR", "Paris", "France", "EMEA"), ("LYS", "Lyon", "France", "EMEA"),
    ("ORE", "Orléans", "France", "EMEA"), ("FNI", "Nîmes", "France", "EMEA"),
    ("MAD", "Madrid", "Spain", "EMEA"), ("AGP", "Málaga", "Spain", "EMEA"),
    ("LCG", "A Coruña", "Spain", "EMEA"), ("LIS", "Lisboa", "Portugal", "EMEA"),
    ("OPO", "Porto", "Portugal", "EMEA"), ("MIL", "Milano", "Italy", "EMEA"),
    ("TRN", "Torino", "Italy", "EMEA"), ("AMS", "Amsterdam", "Netherlands", "EMEA"),
    ("BRU", "Bruxelles", "Belgium", "EMEA"), ("DUB", "Dublin", "Ireland", "EMEA"),
    ("LON", "London", "United Kingdom", "EMEA"), ("EDI", "Edinburgh", "United Kingdom", "EMEA"),
    ("BUD", "Budapest", "Hungary", "EMEA"), ("BUH", "București", "Romania", "EMEA"),
    ("IST", "İstanbul", "Türkiye", "EMEA"), ("ATH", "Αθήνα", "Greece", "EMEA"),
    ("MOW", "Москва", "Russia", "EMEA"), ("IEV", "Київ", "Ukraine", "EMEA"),
    ("TLV", "Tel Aviv", "Israel", "EMEA"), ("DXB", "Dubai", "United Arab Emirates", "EMEA"),
    ("JNB", "Johannesburg", "South Africa", "EMEA"),
    ("NYC", "New York", "United States", "AMER"), ("CHI", "Chicago", "United States", "AMER"),
    ("AUS", "Austin", "United States", "AMER"), ("SEA", "Seattle", "United States", "AMER"),
    ("YTO", "Toronto", "Canada", "AMER"), ("YMQ", "Montréal", "Canada", "AMER"),
    ("YQB", "Québec", "Canada", "AMER"), ("MEX", "Ciudad de México", "Mexico", "AMER"),
    ("GDL", "Guadalajara", "Mexico", "AMER"), ("SAO", "São Paulo", "Brazil", "AMER"),
    ("BSB", "Brasília", "Brazil", "AMER"), ("CWB", "Curitiba", "Brazil", "AMER"),
    ("BOG", "Bogotá", "Colombia", "AMER"), ("MDE", "Medellín", "Colombia", "AMER"),
    ("SCL", "Santiago", "Chile", "AMER"), ("BUE", "Buenos Aires", "Argentina", "AMER"),
    ("LIM", "Lima", "Peru", "AMER"),
    ("TYO", "東京", "Japan", "APAC"), ("OSA", "大阪", "Japan", "APAC"),
    ("YOK", "横浜", "Japan", "APAC"), ("BJS", "北京", "China", "APAC"),
    ("SHA", "上海", "China", "APAC"), ("SEL", "서울", "South Korea", "APAC"),
    ("PUS", "부산", "South Korea", "APAC"), ("BOM", "Mumbai", "India", "APAC"),
    ("BLR", "Bengaluru", "India", "APAC"), ("SIN", "Singapore", "Singapore", "APAC"),
    ("KUL", "Kuala Lumpur", "Malaysia", "APAC"), ("BKK", "กรุงเทพมหานคร", "Thailand", "APAC"),
    ("HAN", "Hà Nội", "Vietnam", "APAC"), ("SYD", "Sydney", "Australia", "APAC"),
    ("MEL", "Melbourne", "Australia", "APAC"), ("AKL", "Auckland", "New Zealand", "APAC"),
]

SITES = ["Headquarters", "Sales Office", "Distribution Center", "Data Center",
         "Research Campus", "Service Hub", "Warehouse", "Innovation Lab", "Customer Center",
         "Training Center", "Print Shop"]
STREETS = ["Bahnhofstrasse", "Hauptstrasse", "Harbour Road", "Market Street", "Avenida Central",
           "Rue du Lac", "Parkweg", "Industrieweg", "Station Road", "Via Roma", "Ulica Długa",
           "Kungsgatan", "Nørregade", "Calle Mayor", "King Street", "Riverside Drive"]
LOCATION_COUNT = 300


def site_counts():
    """Sites per city: 1 to 6, summing to LOCATION_COUNT."""
    counts = [RNG.randint(2, 5) for _ in CITIES]
    while sum(counts) != LOCATION_COUNT:
        i = RNG.randrange(len(counts))
        step = 1 if sum(counts) < LOCATION_COUNT else -1
        if 1 <= counts[i] + step <= 6:
            counts[i] += step
    return counts


def locations():
    rows = []
    for (code, city, country, region), k in zip(CITIES, site_counts()):
        for n, site in enumerate(["Main Office"] + RNG.sample(SITES, k - 1), 1):
            street = "%s %d" % (RNG.choice(STREETS), RNG.randint(1, 240))
            rows.append(["%s-%02d" % (code, n), "%s – %s, %s" % (city, site, street),
                         country, region])
    rows.sort(key=lambda r: (r[3], r[2], r[0]))
    return {"sid": guid("report/locations"), "name": "Locations", "category": "Lookups",
            "columns": [col("Location|Code", "Code"), col("Location|Name", "Location"),
                        col("Location|Country", "Country"), col("Location|Region", "Region")],
            "exposed_filters": [exposed("Location|Region", "Region"),
                                exposed("Location|Country", "Country"),
                                exposed("Location|Name", "Search", "Contains")],
            "rows": rows}


CATEGORY_GROUPS = [
    ("HW", "Hardware", ["Laptop", "Desktop PC", "Monitor", "Docking station", "Keyboard & mouse",
                        "Headset", "Webcam", "Tablet"],
     ["repair", "replacement", "new request", "return"]),
    ("SW", "Software", ["Microsoft 365", "Adobe Creative Cloud", "SAP GUI", "Visual Studio",
                        "AutoCAD", "Tableau", "Zoom", "Slack"],
     ["installation", "licence request", "error or crash", "upgrade"]),
    ("NET", "Network & Connectivity", ["VPN", "Wi-Fi", "LAN port", "Firewall rule", "Proxy",
                                       "DNS entry"],
     ["not working", "slow", "new request", "change"]),
    ("ACC", "Accounts & Access", ["Active Directory account", "Shared mailbox", "Shared drive",
                                  "SharePoint site", "SAP role", "Salesforce licence",
                                  "Badge access"],
     ["grant", "remove", "password reset", "review"]),
    ("TEL", "Telephony & Mobile", ["Mobile phone", "SIM card", "Desk phone", "Conference phone",
                                   "Teams calling"],
     ["new request", "lost or stolen", "fault", "plan change"]),
    ("PRN", "Printing & Scanning", ["Network printer", "Label printer", "Plotter", "Scanner"],
     ["paper jam", "toner", "new queue", "driver issue"]),
    ("FAC", "Facilities", ["Desk move", "Meeting room AV", "Office furniture", "Parking",
                           "Cleaning", "Heating & cooling"],
     ["request", "fault", "complaint"]),
    ("SEC", "Security", ["Phishing email", "Lost or stolen device", "Malware alert",
                         "Encryption key", "Security exception"],
     ["report", "question", "urgent help"]),
    ("DAT", "Data & Reporting", ["Power BI report", "Data extract", "Dashboard access"],
     ["new request", "change", "error"]),
]
# Labels that must survive HTML, CSV and JSON escaping on the way to a form.
SPECIAL_CATEGORIES = [
    ("RND", "Research & Development", 'R&D <Lab> "North"'),
    ("RND", "Research & Development", "R&D <Lab> \"South\" – Clean room"),
    ("RND", "Research & Development", "Prototype bench & <test rig>"),
    ("TEAM", "Team Requests", "O'Brien's team"),
    ("TEAM", "Team Requests", "Müller & Söhne liaison"),
    ("TEAM", "Team Requests", "Smith, Jones & Partners (external)"),
]
CATEGORY_COUNT = 200


def categories():
    rows = []
    for code, group, subjects, actions in CATEGORY_GROUPS:
        for subject in subjects:
            for action in actions:
                rows.append([None, "%s – %s" % (subject, action), group])
    RNG.shuffle(rows)
    rows = rows[:CATEGORY_COUNT - len(SPECIAL_CATEGORIES)]
    rows += [[None, label, group] for _, group, label in SPECIAL_CATEGORIES]
    rows.sort(key=lambda r: (r[2], r[1]))
    for n, row in enumerate(rows, 1):
        row[0] = "CAT-%04d" % (n * 5)
    return {"sid": guid("report/categories"), "name": "Request Categories", "category": "Lookups",
            "columns": [col("Category|ID", "ID"), col("Category|Name", "Category"),
                        col("Category|Group", "Group")],
            "exposed_filters": [exposed("Category|Group", "Group"),
                                exposed("Category|Name", "Search", "Contains")],
            "rows": rows}


def priorities():
    rows = [["P4", "Low – within two weeks"], ["P3", "Normal – within a week"],
            ["P2", "High – within one business day"], ["P1", "Critical – business stopped"]]
    return {"sid": guid("report/priorities"), "name": "Priorities", "category": "Lookups",
            "columns": [col("Priority|Code", "Code"), col("Priority|Name", "Priority")],
            "exposed_filters": [], "rows": rows}


# Parent lists for the cascading drop-down demo (www/demo-choices.html).
# Their value column holds exactly what the child report's filter column holds
# (Departments' "Division", Locations' "Region"), so a chosen parent value can
# be fed to the child's exposed filter as it is.
REGION_NAMES = [("AMER", "Americas"), ("APAC", "Asia-Pacific"),
                ("EMEA", "Europe, Middle East & Africa")]


def divisions():
    rows = [[division, "%s (%s)" % (division, code)] for code, division, _ in DIVISIONS]
    rows.sort(key=lambda r: r[0])
    return {"sid": guid("report/divisions"), "name": "Divisions", "category": "Lookups",
            "columns": [col("Division|Name", "Division"), col("Division|Title", "Title")],
            "exposed_filters": [exposed("Division|Title", "Search", "Contains")],
            "rows": rows}


def regions():
    regions_used = {c[3] for c in CITIES}
    rows = [[code, name] for code, name in REGION_NAMES if code in regions_used]
    return {"sid": guid("report/regions"), "name": "Regions", "category": "Lookups",
            "columns": [col("Region|Code", "Code"), col("Region|Name", "Region")],
            "exposed_filters": [], "rows": rows}


def accessories():
    """The laptop accessories a request may ask for (a checkbox group)."""
    names = ["Docking station", "USB-C charger", "Second monitor", "Headset",
             "Keyboard & mouse", "Laptop bag", "Privacy filter"]
    rows = [[n, n] for n in names]
    return {"sid": guid("report/accessories"), "name": "Laptop Accessories",
            "category": "Lookups",
            "columns": [col("Accessory|Name", "Accessory"), col("Accessory|Label", "Label")],
            "exposed_filters": [], "rows": rows}


def asset_notes():
    """A report whose cells need every CSV escape: commas, quotes, line
    breaks (LF and CRLF), empty cells and non-ASCII."""
    rows = [
        ["104233", "Laptop, 14\", silver", "Keyboard replaced 2023-04", "alice.meyer", "2022-03-14"],
        ["104234", "Monitor 27\"", "Dead pixel, top-left corner;\nswap requested", "bob.okafor",
         "2021-11-02"],
        ["104235", "Docking station", "", "chen.wei", "2023-01-20"],
        ["104236", "Laptop, 16\"", "Line one\r\nLine two\r\nLine \"three\"", "jose.garcia",
         "2023-06-30"],
        ["104237", "Headset", None, "", "2020-09-09"],
        ["104238", "Desk phone", "Moved from Zürich to Kraków, desk 3.14", "dana.kowalski",
         "2019-05-17"],
        ["104239", "Tablet", "Says \"\"\"quoted\"\"\" thrice, and a trailing comma,",
         "alice.meyer", "2024-02-29"],
        ["104240", "Label printer", "  leading and trailing spaces  ", "svc_intake", ""],
        ["104241", "Webcam", "Ends with a newline\n", "bob.okafor", "2024-07-01"],
        ["104242", "Plotter", "R&D <Lab> \"North\" — O'Brien's team", "chen.wei", "2018-12-24"],
        ["104243", "Laptop, 13\"", "東京オフィス、3階", "jose.garcia", "2024-10-10"],
        ["104244", "", "No description, owner unknown", "", ""],
    ]
    return {"sid": guid("report/asset-notes"), "name": "Asset Notes", "category": "IT",
            "columns": [col("Asset|Tag", "Tag"), col("Asset|Description", "Description"),
                        col("Asset|Notes", "Notes"), col("Asset|Owner", "Owner"),
                        col("Asset|Purchased", "Purchased")],
            "exposed_filters": [exposed("Asset|Owner", "Owner", "Contains"),
                                exposed("Asset|Purchased", "Purchased after", "GreaterThan")],
            "rows": rows}


def cost_centers():
    """Restricted: only alice.meyer may run it (403 for everyone else)."""
    names = ["Executive Board", "Group Strategy", "M&A Office", "Chief of Staff",
             "Board Travel", "Shareholder Relations", "Executive Assistants", "Crisis Management"]
    rows = [["CC-9%03d" % (n * 10), name, "%d" % (250000 + n * 12500)]
            for n, name in enumerate(names, 1)]
    return {"sid": guid("report/executive-cost-centers"), "name": "Executive Cost Centers",
            "category": "Finance", "allowed_users": ["alice.meyer"],
            "columns": [col("CostCenter|Code", "Code"), col("CostCenter|Name", "Cost center"),
                        col("CostCenter|Budget", "Budget")],
            "exposed_filters": [exposed("CostCenter|Budget", "Budget above", "GreaterThan")],
            "rows": rows}


# --------------------------------------------------------------------------
# Processes

ACCESSORIES = ["Docking station", "USB-C charger", "Second monitor", "Headset",
               "Keyboard & mouse", "Laptop bag", "Privacy filter"]

# (key for a data container, ClientID, label, value type, question type, required, options)
IT_FIELDS = [
    ("requester_name", "RequesterName", "Requester name", "string", "ShortText", True, None),
    ("requester_email", "RequesterEmail", "Email", "string", "Email", True, None),
    ("department", "Department", "Department", "string", "DropDown", True, None),
    # The region narrows the locations offered (a form's parent field).
    ("region", "Region", "Region", "string", "DropDown", False, None),
    ("location", "Location", "Location", "string", "DropDown", True, None),
    # Several location codes, "|"-joined as for a checkbox group (a multi-select).
    ("affected_locations", "AffectedLocations", "Affected locations", "string", "CheckBox",
     False, None),
    ("category", "Category", "Category", "string", "DropDown", True, None),
    ("priority", "Priority", "Priority", "string", "DropDown", True, None),
    ("description", "Description", "Description", "string", "LongText", True, None),
    ("needed_by", "NeededBy", "Needed by", "date", "Date", False, None),
    ("asset_tag", "AssetTag", "Asset tag number", "numeric", "Numeric", False, None),
    ("laptop_accessories", "LaptopAccessories", "Laptop accessories", "string", "CheckBox",
     False, ACCESSORIES),
    ("attachment", "Attachment", "Attachment", "file", "FileUpload", False, None),
    # Where intake writes its submission reference (a form's reference_key).
    ("intake_reference", "IntakeReference", "Intake reference", "string", "ShortText", False,
     None),
]
FACILITIES_FIELDS = [
    ("requester_name", "RequesterName", "Requester name", "string", "ShortText", True, None),
    ("location", "Building", "Building", "string", "DropDown", True, None),
    ("floor_room", "FloorRoom", "Floor / room", "string", "ShortText", False, None),
    ("issue_type", "IssueType", "Issue type", "string", "DropDown", True,
     ["Heating & cooling", "Lighting", "Cleaning", "Furniture", "Access badge", "Other"]),
    ("description", "Description", "Description", "string", "LongText", True, None),
    ("photo", "Photo", "Photo", "file", "FileUpload", False, None),
]
ACCESS_FIELDS = [
    ("employee_email", "EmployeeEmail", "Employee email", "string", "Email", True, None),
    ("system", "System", "System", "string", "DropDown", True,
     ["SAP ERP", "Salesforce", "Workday", "GitHub Enterprise", "Jira", "Shared drive"]),
    ("access_level", "AccessLevel", "Access level", "string", "RadioButton", True,
     ["Read", "Write", "Admin"]),
    ("justification", "Justification", "Business justification", "string", "LongText", True, None),
    ("manager_email", "ManagerEmail", "Manager email", "string", "Email", True, None),
    ("valid_until", "ValidUntil", "Valid until", "date", "Date", False, None),
]


def fields(process, spec, guid_keys):
    """Field list; form questions get GUID ids, data container keys stay readable."""
    out = []
    for key, client_id, label, vtype, qtype, required, options in spec:
        f = {"key": guid("%s/question/%s" % (process, key)) if guid_keys else key,
             "client_id": client_id, "label": label, "type": vtype, "question_type": qtype,
             "required": required}
        if options:
            f["options"] = options
        out.append(f)
    return out


def process(pid, name, category, task_type, task_name, spec, allowed=None):
    slug = name.lower().replace(" ", "-")
    task = {"sid": guid(slug + "/task/1"), "type": task_type, "name": task_name,
            "form_sid": guid(slug + "/form") if task_type == "form" else None,
            "fields": fields(slug, spec, guid_keys=task_type == "form")}
    p = {"sid": guid("process/" + slug), "id": pid, "name": name, "category": category,
         "publish_status": "Production", "first_task": task}
    if allowed:
        p["allowed_users"] = allowed
    return p


def processes():
    return [
        process(345, "IT Request", "IT", "form", "Request Form", IT_FIELDS),
        process(346, "IT Request (API intake)", "IT", "datacontainer", "Intake Data", IT_FIELDS),
        process(351, "Facilities Request", "Facilities", "form", "Facilities Form",
                FACILITIES_FIELDS),
        process(352, "Facilities Request (API intake)", "Facilities", "datacontainer",
                "Intake Data", FACILITIES_FIELDS),
        process(360, "Access Request", "Security", "form", "Access Form", ACCESS_FIELDS,
                allowed=["svc_intake", "alice.meyer"]),
    ]


def demo():
    return {
        "tenant": "acme",
        "host_header": "acme.integrify.local",
        "jwt_secret": "acme-standin-jwt-secret-DEMO-ONLY",
        "legacy_consumers": [
            {"key": "acme_api", "secret": "acme-api-secret-DEMO-ONLY", "impersonate": True},
            {"key": "acme_batch", "secret": "acme-batch-secret-DEMO-ONLY", "impersonate": False},
        ],
        "v8_api_keys": [
            {"key": "ak-3f9a1c7e52d84b6e", "user": None, "expires": None,
             "description": "intake gateway"},
            {"key": "pk-alice-51d2b8e0", "user": "alice.meyer", "expires": None,
             "description": "Alice's personal key"},
            {"key": "ak-retired-0c44e2d1", "user": None, "expires": 1704067200,
             "description": "retired 2024-01-01"},
        ],
        "users": users(),
        "default_ttl_s": 3600,
        "enforce_required": True,
        "processes": processes(),
        "reports": [departments(), locations(), categories(), priorities(), asset_notes(),
                    cost_centers(), divisions(), regions(), accessories()],
        "variants": {"v7_start_shape": "doc", "v8_impersonate_body": "json_token",
                     "v8_expired_body": "text"},
    }


def main():
    path = os.path.join(HERE, "demo.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(demo(), f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
