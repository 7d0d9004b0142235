"""Other languages: the form pages, their errors and the receipt in the
language Accept-Language prefers (English or German), or in the form's own
lang; a definition's label.de and title.de on German pages."""

import html
import json
import os
import re
import shutil
import tempfile
import time
import unittest
import urllib.parse

from harness import SRC, Stack, http
from test_forms import SECTIONS

GERMAN = "de-CH, en;q=0.5"


class Languages(Stack):
    variant = "v8-apikey"
    sections = SECTIONS

    @classmethod
    def setUpClass(cls):
        cls.formsdir = tempfile.mkdtemp(prefix="intake-lang-")
        with open(os.path.join(SRC, "conf/forms/it-request.conf")) as f:
            form = f.read()
        form = form.replace("title = IT request\n", "title = IT request\ntitle.de = IT-Anfrage\n", 1)
        form = form.replace("submit_label = Send request\n",
                            "submit_label = Send request\nsubmit_label.de = Anfrage senden\n", 1)
        form = form.replace("label = Your name\n", "label = Your name\nlabel.de = Ihr Name\n", 1)
        with open(os.path.join(cls.formsdir, "it-request.conf"), "w") as f:
            f.write(form)
        # The same form, always in German (its own lang beats the browser's).
        with open(os.path.join(cls.formsdir, "anfrage.conf"), "w") as f:
            f.write(form.replace("[form]\n", "[form]\nlang = de\n", 1))
        cls.server = {"workers": "2", "cache_entry_max": "1048576", "forms_dir": cls.formsdir}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.formsdir, ignore_errors=True)

    def page(self, path, lang):
        status, headers, body = self.get(path, headers={"Accept-Language": lang})
        self.assertEqual(status, 200, body)
        return headers, body

    def post(self, path, lang, fields, accept_json):
        _, body = self.page(path, lang)
        tok = re.search(r'name="_token" value="([^"]+)"', body).group(1)
        time.sleep(1.1)     # forms filled faster than a second are refused as bots
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Origin": self.nginx.url, "Accept-Language": lang}
        if accept_json:
            headers["Accept"] = "application/json"
        return http(self.nginx.url + path, method="POST", headers=headers,
                    body=urllib.parse.urlencode([("_token", tok)] + fields).encode())

    def test_german_browser_gets_the_german_page(self):
        headers, body = self.page("/forms/it-request", GERMAN)
        self.assertIn('<html lang="de">', body)
        self.assertIn("Accept-Language", headers.get("Vary", ""))
        self.assertIn("<h1>IT-Anfrage</h1>", body)
        self.assertIn('<p class="intake-legend">Felder mit <span class="intake-required" '
                      'aria-hidden="true">*</span><span class="intake-visually-hidden">einem '
                      'Sternchen</span> sind Pflichtfelder.</p>', body)
        self.assertIn('<label for="f-requester_name">Ihr Name', body)
        self.assertIn('<label for="f-requester_email">Email', body)   # no label.de: the label
        self.assertIn("<option value=\"\">Bitte wählen…</option>", body)
        self.assertIn('<button type="submit">Anfrage senden</button>', body)
        # intake-form.js's words, from the same catalog.
        self.assertIn('data-w-another="Weitere Anfrage senden"', body)
        self.assertIn('data-w-correct="Bitte korrigieren Sie Folgendes"', body)
        self.assertIn('data-w-send-again="Sie können in %s Sekunden wieder senden."', body)
        self.assertIn('data-w-no-matches="Keine Treffer" data-w-results="%s Ergebnisse"', body)
        # English first: English.
        _, body = self.page("/forms/it-request", "en-GB, de;q=0.9")
        self.assertIn('<html lang="en">', body)
        self.assertIn("<h1>IT request</h1>", body)
        self.assertIn("Fields marked", body)

    def test_garbage_accept_language_falls_back_to_english(self):
        for lang in ("de;q=2", "de;q=0", ";;;,,=q", "xx-" + "a" * 3000 + ", de;q=0.5x",
                     "deutsch", "\u00e9\u00e9".encode().decode("latin-1"), "*"):
            _, body = self.page("/forms/it-request", lang)
            self.assertIn('<html lang="en">', body, lang[:40])
            self.assertIn("Fields marked", body)
            self.assertIn('<button type="submit">Send request</button>', body)

    def test_errors_in_german_for_json_and_for_the_page(self):
        fields = [("requester_name", "Zoë"), ("requester_email", "kein-at"),
                  ("needed_by", "2027-02-30")]
        status, headers, body = self.post("/forms/it-request", GERMAN, fields, True)
        self.assertEqual(status, 422, body)
        self.assertIn("Accept-Language", headers.get("Vary", ""))
        errs = {e["field"]: (e["code"], e["message"]) for e in json.loads(body)["errors"]}
        self.assertEqual(errs["requester_email"],
                         ("email", "Geben Sie eine E-Mail-Adresse wie name@example.com ein."))
        self.assertEqual(errs["needed_by"],
                         ("no_such_date", "Den 30. Februar 2027 gibt es nicht."))
        self.assertEqual(errs["department"], ("required", "Bitte füllen Sie dieses Feld aus."))
        # Without JavaScript: the page, in German, its title starting "Fehler: ".
        status, _, body = self.post("/forms/it-request", GERMAN, fields, False)
        self.assertEqual(status, 422, body)
        self.assertIn('<html lang="de">', body)
        self.assertIn("<title>Fehler: IT-Anfrage</title>", body)
        self.assertIn("<h2>Bitte korrigieren Sie Folgendes</h2>", body)
        self.assertIn(html.escape("Den 30. Februar 2027 gibt es nicht."), body)
        # The same post in English.
        status, _, body = self.post("/forms/it-request", "en", fields, True)
        errs = {e["field"]: e["message"] for e in json.loads(body)["errors"]}
        self.assertEqual(errs["needed_by"], "There is no 30 February 2027.")

    def raw_post(self, lang, fields, accept_json):
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Origin": self.nginx.url}
        if lang is not None:
            headers["Accept-Language"] = lang
        if accept_json:
            headers["Accept"] = "application/json"
        return http(self.nginx.url + "/forms/it-request", method="POST", headers=headers,
                    body=urllib.parse.urlencode(fields).encode())

    def test_refusals_in_german_for_the_page_and_json(self):
        no_token = [("requester_name", "Zoë")]
        forged = [("_token", "forged"), ("requester_name", "Zoë")]
        too_large = [("description", "x" * (4 * 1024 * 1024 + 10))]
        status, headers, body = self.raw_post(GERMAN, no_token, False)
        self.assertEqual(status, 403, body)
        self.assertIn('<html lang="de">', body)
        self.assertIn("Accept-Language", headers.get("Vary", ""))
        self.assertIn("<h1>Abgelaufen</h1>", body)
        self.assertIn("Dieses Formular hat kein Token.", body)
        self.assertIn(">Zurück zum Formular</a>", body)
        self.assertNotIn("Expired", body)
        status, _, body = self.raw_post(GERMAN, forged, False)
        self.assertEqual(status, 403, body)
        self.assertIn("Dieses Formular ist abgelaufen.", body)
        status, _, body = self.raw_post(GERMAN, too_large, False)
        self.assertEqual(status, 413, body)
        self.assertIn('<html lang="de">', body)
        self.assertIn("<h1>Zu groß</h1>", body)
        self.assertIn(html.escape("Was Sie gesendet haben, ist zu groß."), body)
        # JSON: the code stays English and machine-readable, the message is German.
        status, headers, body = self.raw_post(GERMAN, no_token, True)
        self.assertEqual(status, 403, body)
        self.assertIn("Accept-Language", headers.get("Vary", ""))
        self.assertEqual(json.loads(body), {"error": {
            "code": "token_missing",
            "message": "Dieses Formular hat kein Token. Bitte laden Sie das Formular neu "
                       "und senden Sie es noch einmal."}})
        status, _, body = self.raw_post(GERMAN, too_large, True)
        self.assertEqual(status, 413, body)
        self.assertEqual(json.loads(body)["error"],
                         {"code": "too_large", "message": "Was Sie gesendet haben, ist zu groß."})
        # English stays the default: no Accept-Language, or an unsupported one.
        for lang in (None, "fr-FR, ja;q=0.5"):
            status, _, body = self.raw_post(lang, no_token, True)
            self.assertEqual(status, 403, body)
            self.assertEqual(json.loads(body)["error"]["message"],
                             "This form has no token. Please reload the form and send it again.")
            status, _, body = self.raw_post(lang, too_large, False)
            self.assertEqual(status, 413, body)
            self.assertIn('<html lang="en">', body)
            self.assertIn("<h1>Too large</h1>", body)
            self.assertIn(">Back to the form</a>", body)

    def test_form_lang_makes_refusals_german_without_asking(self):
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Origin": self.nginx.url, "Accept-Language": "en"}
        status, headers, body = http(self.nginx.url + "/forms/anfrage", method="POST",
                                     headers=headers, body=b"requester_name=x")
        self.assertEqual(status, 403, body)
        self.assertIn("<h1>Abgelaufen</h1>", body)
        self.assertNotIn("Accept-Language", headers.get("Vary", ""))

    def test_form_lang_beats_the_browser_and_receipt_pages_follow(self):
        headers, body = self.page("/forms/anfrage", "en-US, en;q=0.9")
        self.assertIn('<html lang="de">', body)
        self.assertIn("<h1>IT-Anfrage</h1>", body)
        # Not chosen by the header: the page does not vary on it.
        self.assertNotIn("Accept-Language", headers.get("Vary", ""))
        status, _, body = self.post("/forms/anfrage", "en", [("requester_name", "Z")], True)
        self.assertEqual(status, 422, body)
        self.assertIn("Dies ist kürzer als erlaubt.", body)
        status, headers, body = self.get("/forms/it-request/receipt?ref=nope",
                                         headers={"Accept-Language": GERMAN})
        self.assertEqual(status, 400, body)
        self.assertIn('<html lang="de">', body)
        self.assertIn("Dieser Bestätigungslink ist nicht gültig.", body)
        self.assertIn("Zurück zum Formular", body)


if __name__ == "__main__":
    unittest.main()
