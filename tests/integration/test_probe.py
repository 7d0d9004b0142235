"""intake -T (probe) and intake -F (a form definition from a process): the
real binary against the stand-in, in both dialects.  A good config passes;
each kind of mistake an admin makes is named with a FAIL line and a hint."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse
import urllib.request

from harness import BIN, HOST_HEADER, REPORT_SIDS, SRC, Pool, Standin, fixture
from test_form_post import V7_FORM
from test_forms import SECTIONS as FORM_SECTIONS

# The forms tests' sources, with the demo's cascading filters (and one
# list fetched as JSON), the lists they check against, and a report table.
SECTIONS = FORM_SECTIONS.replace(
    "label_column = Department\n",
    "label_column = Department\nfilter.parent = Division\ncheck.parent = source:divisions\n"
).replace(
    "label_column = Location\n",
    "label_column = Location\nfetch = json\n"  # its filter.parent is test_forms'
) + """
[source:divisions]
report = {divisions}
value_column = Division
label_column = Title
[report:assets]
report = {assets}
columns = Tag, Description, Owner
filter.owner = Owner
check.owner = pattern:[a-z][a-z0-9._-]{{0,63}}
""".format(**REPORT_SIDS)

V8_FORM_PATH = os.path.join(SRC, "conf/forms/it-request.conf")


# The field type intake -F gives a question type with fixed choices.
CHOICE_TYPES = {"DropDown": "select", "RadioButton": "radio", "CheckBox": "checkboxes"}


def choice_escape(text):
    """text as one value of a form's choices key (conf/forms/README.md)."""
    return re.sub(r"([\\|=])", r"\\\1", text)


def process_named(name):
    return next(p for p in fixture()["processes"] if p["name"] == name)


def question(process, client_id):
    return next(f for f in process_named(process)["first_task"]["fields"]
                if f["client_id"] == client_id)


class ProbeCase(unittest.TestCase):
    """The stand-in and a config for the real binary; no pool runs."""

    variant = "v8-apikey"

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="intake-probe-")
        self.addCleanup(shutil.rmtree, self.workdir, True)
        self.standin = Standin(self.workdir)
        self.addCleanup(self.standin.close)
        self.formsdir = os.path.join(self.workdir, "forms")
        os.mkdir(self.formsdir)

    integrify = None    # [integrify] keys to change

    def write(self, sections=SECTIONS, forms=None):
        """The config (and its forms_dir holding forms, name -> text)."""
        for name in os.listdir(self.formsdir):
            os.unlink(os.path.join(self.formsdir, name))
        for name, text in (forms or {}).items():
            with open(os.path.join(self.formsdir, name + ".conf"), "w") as f:
                f.write(text)
        self.pool = Pool(self.workdir, self.standin, self.variant,
                         server={"forms_dir": self.formsdir}, sections=sections,
                         integrify=self.integrify)
        return self.pool.conf

    def run_intake(self, *args):
        return subprocess.run([BIN, "-c", self.pool.conf] + list(args), capture_output=True,
                              text=True, timeout=120)

    def probe(self, sections=SECTIONS, forms=None):
        self.write(sections, forms)
        r = self.run_intake("-T")
        self.assert_no_secrets(r.stdout + r.stderr)
        for line in r.stdout.splitlines():
            self.assertRegex(line, r"^(OK|FAIL|SKIP) ", "one verdict per line")
        return r

    def fails(self, r):
        return [l for l in r.stdout.splitlines() if l.startswith("FAIL ")]

    def assert_fail(self, r, *needles):
        """Exit 1 and a FAIL line holding every needle."""
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        for line in self.fails(r):
            if all(n in line for n in needles):
                return line
        self.fail("no FAIL line with %r in:\n%s" % (needles, r.stdout))

    def assert_passes(self, r):
        self.assertEqual(self.fails(r), [], r.stdout + r.stderr)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def assert_no_secrets(self, text):
        secrets = [s for s in (getattr(self, "pool", None) and self.pool.key,
                               getattr(self, "pool", None) and self.pool.secret) if s]
        secrets += [t["token"] for t in self.standin.tokens()]
        for s in secrets:
            self.assertNotIn(s, text, "a secret or a token was printed")

    def open_v7_request(self, process_sid):
        """Start a request of a v7 process as the service account, as an admin
        does in Integrify, so that its data container waits for values."""
        consumer = fixture()["legacy_consumers"][0]
        with urllib.request.urlopen("%s/access/impersonate?key=%s&user=svc_intake" % (
                self.standin.url, consumer["key"]), timeout=10) as r:
            token = json.loads(r.read())["token"]
        req = urllib.request.Request("%s/instances/%s/start" % (self.standin.url, process_sid),
                                     data=b"{}", method="POST",
                                     headers={"Authorization": "Bearer " + token,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())


class ProbeV8(ProbeCase):
    variant = "v8-apikey"

    def v8_form(self, edit=None):
        with open(V8_FORM_PATH) as f:
            text = f.read()
        return edit(text) if edit else text

    def test_good_config_passes_and_names_the_variants(self):
        r = self.probe(forms={"it-request": self.v8_form()})
        self.assert_passes(r)
        out = r.stdout
        self.assertIn("OK token: flow apikey", out)
        self.assertIn("the reply is a JSON object with a token member", out)
        self.assertIn("OK source departments: filter.parent = Division is an exposed filter", out)
        self.assertIn("CSV with a byte order mark", out)
        self.assertIn("OK source locations: one run in fetch = json", out)
        self.assertIn("an object, the list under 'items'", out)
        self.assertIn("OK form it-request: process 45e79ea1", out)
        self.assertIn("OK form it-request: task 8b6715a0", out)
        self.assertIn("OK request search: it answers", out)
        self.assertEqual(self.standin.call("GET", "/__sim/instances")["instances"], [],
                         "the probe started a request")

    def test_probe_as_a_word_is_t_capital(self):
        self.write(forms={"it-request": self.v8_form()})
        r = self.run_intake("probe")
        self.assert_passes(r)
        self.assertIn("OK form it-request: task", r.stdout)
        r = self.run_intake("-t", "-T")
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.startswith("usage:"), r.stderr)

    def test_bare_token_reply_is_named(self):
        self.standin.call("POST", "/__sim/config", {"variants": {"v8_impersonate_body": "text"}})
        r = self.probe(forms={})
        self.assert_passes(r)
        self.assertIn("the reply is bare text", r.stdout)

    def test_wrong_value_column_is_named_with_the_columns(self):
        r = self.probe(SECTIONS.replace("value_column = Code\nlabel_column = Department",
                                        "value_column = Kode\nlabel_column = Department"))
        line = self.assert_fail(r, "source departments", "value_column 'Kode' is not a column")
        self.assertIn("'Code'", line)

    def test_wrong_shown_column_of_a_report_is_named(self):
        r = self.probe(SECTIONS.replace("columns = Tag, Description, Owner",
                                        "columns = Tag, Descr, Owner"))
        self.assert_fail(r, "report assets", "columns 'Descr' is not a column")

    def test_nonexistent_report_sid_is_named(self):
        fake = "00000000-0000-5000-8000-000000000000"
        r = self.probe(SECTIONS.replace(REPORT_SIDS["priorities"], fake))
        self.assert_fail(r, "source priorities", fake, "404", "copy the report's SID")

    def test_filter_that_is_not_exposed_is_named(self):
        r = self.probe(SECTIONS.replace("filter.parent = Division", "filter.parent = Divison"))
        line = self.assert_fail(r, "source departments", "filter.parent = Divison",
                                "is not an exposed filter")
        self.assertIn("'Division'", line)

    def test_filter_given_as_mapping_value_names_the_expose_name(self):
        rep = next(x for x in fixture()["reports"] if x["sid"] == REPORT_SIDS["departments"])
        mapping = next(f["MappingVal"] for f in rep["exposed_filters"]
                       if f["Expose"] == "Division")
        r = self.probe(SECTIONS.replace("filter.parent = Division", "filter.parent = " + mapping))
        self.assert_fail(r, "is a mapping value", "the Expose name: Division")

    def test_fake_process_sid_is_named(self):
        fake = "11111111-2222-5333-8444-555555555555"
        r = self.probe(forms={"it-request": self.v8_form(
            lambda t: t.replace("45e79ea1-5b67-547c-818b-e922eb2a142e", fake))})
        self.assert_fail(r, "form it-request: process " + fake,
                         "not in the service account's process list")

    def test_process_given_by_name_names_its_sid(self):
        r = self.probe(forms={"it-request": self.v8_form(
            lambda t: t.replace("process = 45e79ea1-5b67-547c-818b-e922eb2a142e",
                                "process = IT Request"))})
        self.assert_fail(r, "is the process's name; its SID is "
                         "45e79ea1-5b67-547c-818b-e922eb2a142e")

    def test_wrong_task_is_named_with_the_first_task(self):
        r = self.probe(forms={"it-request": self.v8_form(
            lambda t: t.replace("task = 8b6715a0", "task = 9b6715a0"))})
        self.assert_fail(r, "form it-request", "is not a first task", "8b6715a0")

    def test_key_that_is_a_label_names_the_question_id(self):
        desc = question("IT Request", "Description")
        r = self.probe(forms={"it-request": self.v8_form(
            lambda t: t.replace("key = " + desc["key"], "key = Description"))})
        self.assert_fail(r, "form it-request: field description: key 'Description' is a label; "
                         "the question id is " + desc["key"])

    def test_unknown_key_is_named(self):
        desc = question("IT Request", "Description")
        r = self.probe(forms={"it-request": self.v8_form(
            lambda t: t.replace("key = " + desc["key"], "key = no-such-question"))})
        self.assert_fail(r, "key 'no-such-question' is not a question id")

    def test_required_question_without_field_is_named(self):
        name = question("IT Request", "RequesterName")
        text = self.v8_form()
        text = re.sub(r"\[field:requester_name\].*?(?=\n\[)", "", text, flags=re.S)
        r = self.probe(forms={"it-request": text})
        self.assert_fail(r, "the required question 'Requester name' has no field",
                         "key = " + name["key"])

    def test_field_type_that_does_not_fit_is_named(self):
        text = self.v8_form(lambda t: t.replace(
            "type = date\nmin = 2024-01-01\nmax = 2030-12-31", "type = number"))
        r = self.probe(forms={"it-request": text})
        self.assert_fail(r, "field needed_by", "a number field cannot fill 'Needed by'",
                         "type = date")

    def test_missing_request_search_is_named(self):
        self.write(forms={})
        self.standin.control("/__sim/fail-next?status=404&count=5&path=/api/instance/list")
        r = self.run_intake("-T")
        self.assert_fail(r, "request search", "404")

    def start_v8_request(self, name):
        """A request of IT Request named as intake names its starts."""
        key = next(k["key"] for k in fixture()["v8_api_keys"] if not k.get("user"))
        req = urllib.request.Request(
            "%s/api/auth/apikey/acme/%s/impersonate/svc_intake" % (self.standin.url, key),
            headers={"Host": HOST_HEADER})
        with urllib.request.urlopen(req, timeout=10) as r:
            token = json.loads(r.read())["token"]
        req = urllib.request.Request(
            "%s/api/instance/start/%s?requestName=%s" % (
                self.standin.url, process_named("IT Request")["sid"],
                urllib.parse.quote(name)), data=b"{}", method="POST",
            headers={"Host": HOST_HEADER, "Authorization": "Bearer " + token,
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def test_search_shape_is_read_from_the_forms_requests(self):
        r = self.probe(forms={"it-request": self.v8_form()})
        self.assertIn("SKIP request search: the shape of a listed request", r.stdout)
        started = self.start_v8_request("IT request (ABCD-EFGH-JKLM)")
        r = self.probe(forms={"it-request": self.v8_form()})
        self.assert_passes(r)
        self.assertIn("OK request search: the requests form it-request started are listed "
                      "with a SID intake reads (request %s)" % started["sid"], r.stdout)

    def test_search_items_without_a_sid_are_named(self):
        self.start_v8_request("IT request (ABCD-EFGH-JKLM)")
        self.standin.call("POST", "/__sim/config", {"variants": {"instance_list_sid": "no"}})
        r = self.probe(forms={"it-request": self.v8_form()})
        self.assert_fail(r, "request search", "no SID could be read")

    def test_process_the_account_may_not_start_is_named(self):
        proc = process_named("Access Request")     # allowed_users: svc_intake, alice.meyer
        form = """[form]
title = Access
process = %s
task = %s
[field:employee_email]
label = Employee email
type = email
key = %s
""" % (proc["sid"], proc["first_task"]["sid"], question("Access Request", "EmployeeEmail")["key"])
        r = self.probe(sections="", forms={"access": form})
        self.assertIn("OK form access: process %s (Access Request) is in the service "
                      "account's process list" % proc["sid"], r.stdout)
        self.integrify = {"user": "bob.okafor"}
        r = self.probe(sections="", forms={"access": form})
        self.assert_fail(r, "form access: process " + proc["sid"],
                         "'bob.okafor' may not start it")

    def test_refused_credentials_are_named(self):
        self.write(forms={})
        with open(os.path.join(self.workdir, "integrify.key"), "w") as f:
            f.write("k-wrong\n")
        r = self.run_intake("-T")
        self.assert_fail(r, "token: flow apikey", "refused the credentials")
        self.assertNotIn("k-wrong", r.stdout + r.stderr)

    def test_generated_definitions_pass_t_and_the_probe(self):
        with_choices = [f["key"] for p in fixture()["processes"]
                        if p["first_task"]["type"] == "form"
                        for f in p["first_task"]["fields"] if f.get("options")]
        self.assertTrue(with_choices, "no demo v8 question has fixed choices")
        for proc in fixture()["processes"]:
            if proc["first_task"]["type"] != "form":
                continue
            with self.subTest(process=proc["name"]):
                self.write(forms={})
                r = self.run_intake("-F", proc["sid"])
                self.assertEqual(r.returncode, 0, r.stderr)
                text = r.stdout
                for f in proc["first_task"]["fields"]:
                    self.assertIn("key = " + f["key"], text)
                    self.assertIn("label = " + f["label"], text)
                self.assertIn("task = " + proc["first_task"]["sid"], text)
                self.assertEqual(text.count("required = yes"),
                                 sum(1 for f in proc["first_task"]["fields"]
                                     if f.get("required")))
                for f in proc["first_task"]["fields"]:
                    if f.get("options"):
                        # Integrify's fixed choices become the field's own choices.
                        self.assertIn("label = %s\ntype = %s\nchoices = %s\n" % (
                            f["label"], CHOICE_TYPES[f["question_type"]],
                            " | ".join(choice_escape(o) for o in f["options"])), text)
                self.write(forms={"generated": text})
                t = self.run_intake("-t")
                self.assertEqual(t.returncode, 0, t.stderr + text)
                self.assert_passes(self.run_intake("-T"))

    def test_form_for_takes_the_process_name(self):
        self.write(forms={})
        r = self.run_intake("-F", "facilities request")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("process = " + process_named("Facilities Request")["sid"], r.stdout)

    def test_probe_form_for_is_f(self):
        self.write(forms={})
        a = self.run_intake("-F", "IT Request")
        b = self.run_intake("probe", "--form-for", "IT Request")
        self.assertEqual((a.returncode, b.returncode), (0, 0), a.stderr + b.stderr)
        self.assertEqual(a.stdout, b.stdout)

    def test_form_for_an_unknown_process_fails(self):
        self.write(forms={})
        r = self.run_intake("-F", "No Such Process")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertIn("no process 'No Such Process'", r.stderr)


class ProbeV7(ProbeCase):
    variant = "v7-impersonate"

    def test_good_config_passes(self):
        self.open_v7_request(process_named("IT Request (API intake)")["sid"])
        r = self.probe(forms={"it-request-v7": V7_FORM})
        self.assert_passes(r)
        self.assertIn("OK token: flow impersonate", r.stdout)
        self.assertIn("CSV without a byte order mark", r.stdout)
        self.assertIn("OK source locations: one run in fetch = json gives 300 rows; variant: "
                      "an object, the list under 'items'", r.stdout)
        self.assertIn("OK form it-request-v7: task /tasktypes/data-container/", r.stdout)
        self.assertIn("SKIP variant start reply", r.stdout)
        self.assertIn("OK request search: the v7 dialect has none", r.stdout)
        self.assertEqual(len(self.standin.call("GET", "/__sim/instances")["instances"]), 1,
                         "the probe started a request")

    def test_no_open_request_says_how_to_read_the_keys(self):
        r = self.probe(forms={"it-request-v7": V7_FORM})
        self.assert_fail(r, "form it-request-v7", "start one in Integrify")

    def test_wrong_value_column_is_named(self):
        r = self.probe(SECTIONS.replace("value_column = Code\nlabel_column = Priority",
                                        "value_column = Kode\nlabel_column = Priority"))
        self.assert_fail(r, "source priorities", "value_column 'Kode' is not a column", "'Code'")

    def test_nonexistent_report_sid_is_named(self):
        fake = "00000000-0000-5000-8000-000000000000"
        r = self.probe(SECTIONS.replace(REPORT_SIDS["regions"], fake))
        self.assert_fail(r, "source regions", fake, "404")

    def test_filter_that_is_not_exposed_is_named(self):
        r = self.probe(SECTIONS.replace("filter.parent = Region", "filter.parent = Kountry"))
        self.assert_fail(r, "source locations", "filter.parent = Kountry", "is not an exposed",
                         "'Country'")

    def test_fake_process_sid_is_named(self):
        fake = "11111111-2222-5333-8444-555555555555"
        r = self.probe(forms={"it-request-v7": V7_FORM.replace(
            "f2cecda9-8258-5a1b-815e-b29cd106b70d", fake)})
        self.assert_fail(r, "form it-request-v7: process " + fake, "not in the service")

    def test_key_that_is_not_a_data_container_key_is_named(self):
        self.open_v7_request(process_named("IT Request (API intake)")["sid"])
        r = self.probe(forms={"it-request-v7": V7_FORM.replace(
            "[field:description]", "[field:descr]")})
        self.assert_fail(r, "field descr: key 'descr' is not a data-container key")

    def test_field_type_that_does_not_fit_a_numeric_key_is_named(self):
        self.open_v7_request(process_named("IT Request (API intake)")["sid"])
        form = re.sub(r"(\[field:asset_tag\]\nlabel = [^\n]*\n)type = number\n(min|max) = .*?\n"
                      r"(min|max) = [^\n]*\n", r"\1type = text\n", V7_FORM)
        self.assertNotEqual(form, V7_FORM)
        r = self.probe(forms={"it-request-v7": form})
        self.assert_fail(r, "field asset_tag: a text field cannot fill 'asset_tag'",
                         "type = number")

    def test_generated_definitions_pass_t_and_the_probe(self):
        for proc in fixture()["processes"]:
            if proc["first_task"]["type"] != "datacontainer":
                continue
            with self.subTest(process=proc["name"]):
                self.open_v7_request(proc["sid"])
                self.write(forms={})
                r = self.run_intake("-F", proc["name"])
                self.assertEqual(r.returncode, 0, r.stderr)
                for f in proc["first_task"]["fields"]:
                    self.assertIn("key = " + f["key"], r.stdout)
                self.assertNotIn("task =", r.stdout)
                self.write(forms={"generated": r.stdout})
                t = self.run_intake("-t")
                self.assertEqual(t.returncode, 0, t.stderr + r.stdout)
                self.assert_passes(self.run_intake("-T"))


if __name__ == "__main__":
    unittest.main()
