// <atelier-tryon>: Atelier's embeddable try-on widget. One script tag defines it; it talks to the REST API.
//
//   <script src="https://YOUR-ATELIER/widget/atelier-tryon.js" defer></script>
//   <atelier-tryon product="00055_00" api-key="atl_…"></atelier-tryon>
//
// Attributes: product (a garment id from /api/v1/garments), api-key (a widget-scope key: it is public in the
// page, so it can only try on, parse, search and recommend), api (the server's origin; default: the origin the
// script came from). The shopper's photo goes to the server in memory only and is never stored.
(() => {
  const scriptOrigin = document.currentScript ? new URL(document.currentScript.src).origin : location.origin;
  const MAX_BYTES = 20 * 1024 * 1024;

  const template = document.createElement("template");
  template.innerHTML = `
    <style>
      :host { display: block; font: 14px/1.4 system-ui, sans-serif; border: 1px solid #ddd; border-radius: 8px;
              padding: 12px; max-width: 420px; }
      label { display: block; margin: 6px 0 2px; font-weight: 600; }
      input[type=text] { width: 100%; box-sizing: border-box; padding: 6px; }
      button { margin-top: 8px; padding: 8px 14px; border: 0; border-radius: 6px; background: #222; color: #fff;
               cursor: pointer; }
      button[disabled] { opacity: .5; cursor: progress; }
      .status { min-height: 1.4em; margin-top: 6px; color: #555; }
      .status.error { color: #b00020; }
      img { display: none; width: 100%; margin-top: 8px; border-radius: 6px; }
    </style>
    <div part="widget">
      <label for="photo">Your photo</label>
      <input id="photo" type="file" accept="image/jpeg,image/png,image/webp">
      <label for="instruction">Anything to change? (optional)</label>
      <input id="instruction" type="text" maxlength="2000" placeholder="in burgundy, size L, make it vintage">
      <button id="go" type="button">Try it on</button>
      <div class="status" role="status" aria-live="polite"></div>
      <img id="result" alt="You wearing this garment">
    </div>`;

  class AtelierTryOn extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      const root = this.attachShadow({ mode: "open" });
      root.appendChild(template.content.cloneNode(true));
      this.$ = (selector) => root.querySelector(selector);
      this.$("#go").addEventListener("click", () => this.tryOn());
    }

    get api() { return (this.getAttribute("api") || scriptOrigin).replace(/\/$/, ""); }

    say(text, isError = false) {
      const status = this.$(".status");
      status.textContent = text;
      status.classList.toggle("error", isError);
    }

    async tryOn() {
      const file = this.$("#photo").files[0];
      if (!file) return this.say("Choose a photo of yourself first (JPEG, PNG or WebP).", true);
      if (file.size > MAX_BYTES) return this.say("That photo is over 20 MB; choose a smaller one.", true);
      const form = new FormData();
      form.append("person_image", file);
      form.append("garment_id", this.getAttribute("product") || "");
      const instruction = this.$("#instruction").value.trim();
      if (instruction) form.append("instruction", instruction);
      const button = this.$("#go");
      button.disabled = true;
      this.say("Dressing you… (about a second)");
      try {
        const response = await fetch(`${this.api}/api/v1/tryon`, {
          method: "POST", body: form, headers: { "X-API-Key": this.getAttribute("api-key") || "" },
        });
        const body = await response.json().catch(() => ({}));
        if (!response.ok) throw new Error(AtelierTryOn.message(response.status, body));
        const img = this.$("#result");
        img.src = `data:image/png;base64,${body.image}`;
        img.style.display = "block";
        this.say(`${body.garment.title}${body.size ? `, size ${body.size}` : ""}` +
                 `${body.colour ? `, in ${body.colour}` : ""}${body.style ? `, ${body.style}` : ""}`);
        this.dispatchEvent(new CustomEvent("atelier-tryon", { detail: body, bubbles: true }));
      } catch (error) {
        this.say(error.message || "The try-on failed; please try again.", true);
      } finally {
        button.disabled = false;
      }
    }

    static message(status, body) {
      if (status === 429) return "Too many try-ons right now; please wait a moment.";
      if (status === 401 || status === 403) return "This shop's try-on is not set up (API key).";
      const detail = body && body.detail;
      if (typeof detail === "string") return detail;
      if (Array.isArray(detail) && detail.length) return detail.map((d) => d.msg).join("; ");
      return `The try-on failed (HTTP ${status}).`;
    }
  }

  if (!customElements.get("atelier-tryon")) customElements.define("atelier-tryon", AtelierTryOn);
})();
