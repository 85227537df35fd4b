// The security key step of the hosted sign-on page (ASSERTION_REQUIRED): asks the browser for
// the WebAuthn assertion (navigator.credentials.get) with the flow's request options, and posts
// it back in the page's form. A static file of the page's own origin, so the page's
// Content-Security-Policy (default-src 'self') allows it; no inline script, nothing third-party.
(function () {
  "use strict";

  function fromBase64url(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    var padded = base64 + "===".slice((base64.length + 3) % 4);
    var binary = atob(padded);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function requestOptions(json) {
    var options = Object.assign({}, json, { challenge: fromBase64url(json.challenge) });
    if (json.allowCredentials) {
      options.allowCredentials = json.allowCredentials.map(function (credential) {
        return Object.assign({}, credential, { id: fromBase64url(credential.id) });
      });
    }
    return options;
  }

  function serialize(credential) {
    var response = credential.response;
    return JSON.stringify({
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        authenticatorData: toBase64url(response.authenticatorData),
        signature: toBase64url(response.signature),
        userHandle: response.userHandle ? toBase64url(response.userHandle) : null
      },
      clientExtensionResults: credential.getClientExtensionResults()
    });
  }

  function start(form, options, status, button) {
    button.disabled = true;
    status.hidden = true;
    navigator.credentials.get({ publicKey: requestOptions(options) }).then(
      function (credential) {
        form.elements.assertion.value = serialize(credential);
        form.submit();
      },
      function () {
        button.disabled = false;
        status.textContent = "Your security key did not answer. Try again.";
        status.hidden = false;
      }
    );
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("webauthn-form");
    var source = document.getElementById("webauthn-request-options");
    if (!form || !source) {
      return;
    }
    var status = document.getElementById("webauthn-status");
    var button = document.getElementById("webauthn-start");
    if (!window.PublicKeyCredential) {
      status.textContent = "This browser cannot use security keys or passkeys.";
      status.hidden = false;
      return;
    }
    var options = JSON.parse(source.textContent);
    button.hidden = false;
    button.addEventListener("click", function () {
      start(form, options, status, button);
    });
  });
})();
