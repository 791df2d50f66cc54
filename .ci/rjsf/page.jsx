// The react-jsonschema-form side of Tessera's parity test (tests/e2e/test_rjsf_parity.py).
// Bundled by .ci/install-rjsf into one script; the page that loads it calls
// `window.renderDocument({schema, uiSchema, formData})`, which renders RJSF's core theme
// form synchronously into #root (a fresh React root each call) and returns nothing.
import Form from "@rjsf/core";
import validator from "@rjsf/validator-ajv8";
import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";

let root = null;

window.renderDocument = function renderDocument(doc) {
  if (root !== null) {
    root.unmount();
  }
  const host = document.getElementById("root");
  host.replaceChildren();
  root = createRoot(host);
  flushSync(() => {
    root.render(
      <Form
        schema={doc.schema}
        uiSchema={doc.uiSchema || {}}
        formData={doc.formData}
        validator={validator}
      />,
    );
  });
};

window.rjsfReady = true;
