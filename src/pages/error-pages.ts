/**
 * Every error the gateway answers, as a page for a browser navigation and as JSON otherwise,
 * with the same status either way (docs/design.md "Gateway pages in a browser"). A page says
 * what happened and what to do next, never why in detail: the reason is in the log.
 */
import { errorResponse, errorStatus, wantsHtmlNavigation, type ErrorCode, type PageText } from "../http/responses";
import type { Brand } from "./brand";
import { html, pageResponse, type Fragment } from "./layout";

export const SIGN_IN_PATH = "/_gateway/login";
/** Straight to the provider's account choice in OIDC mode (`prompt=select_account`). */
export const SIGN_IN_AS_SOMEONE_ELSE = `${SIGN_IN_PATH}?prompt=select_account`;

const TEXT: Record<ErrorCode, PageText> = {
  bad_request: { title: "Bad request", text: "The address or the request could not be understood." },
  unauthenticated: { title: "Please sign in", text: "You need to be signed in to see this page." },
  reauthentication_required: { title: "Please sign in again", text: "This page needs a recent sign-in." },
  forbidden: { title: "Access denied", text: "Your account does not have access to this page." },
  not_found: { title: "Not found", text: "There is nothing at this address." },
  method_not_allowed: { title: "Not allowed", text: "This page cannot be used that way." },
  conflict: { title: "Already there", text: "This conflicts with something that already exists." },
  payload_too_large: { title: "Too large", text: "What was sent is larger than this site accepts here." },
  uri_too_long: { title: "Address too long", text: "This address is longer than this site accepts." },
  unsupported_media_type: { title: "Not supported", text: "What was sent is in a form this site does not accept here." },
  rate_limited: { title: "Too many attempts", text: "Too many requests came from your address. Please wait a minute and try again." },
  internal_error: { title: "Something went wrong", text: "The sign-in service could not complete this request. Please try again." },
  bad_gateway: { title: "Site unavailable", text: "The site behind the sign-in service could not be reached. Please try again in a moment." },
  unavailable: { title: "Temporarily unavailable", text: "The sign-in service cannot answer right now. Please try again in a moment." },
  gateway_timeout: { title: "Site not answering", text: "The site behind the sign-in service took too long to answer. Please try again." },
};

function nextSteps(code: ErrorCode): Fragment {
  if (code === "unauthenticated" || code === "reauthentication_required") return html`<div class="actions"><a class="button" href="${SIGN_IN_PATH}">Sign in</a></div>`;
  if (code === "forbidden") {
    return html`<div class="actions"><a class="button" href="/">Home</a><a class="button secondary" href="${SIGN_IN_AS_SOMEONE_ELSE}">Sign in as someone else</a></div>`;
  }
  return html`<div class="actions"><a class="button" href="/">Home</a></div>`;
}

export function errorPage(brand: Brand, code: ErrorCode, page?: PageText, headers: HeadersInit = {}): Promise<Response> {
  const { title, text } = page ?? TEXT[code];
  return pageResponse(brand, errorStatus[code], { title, body: html`<p>${text}</p>${nextSteps(code)}` }, headers);
}

/** The answer to an error: a page for a browser navigation, JSON otherwise; the same status. */
export function errorAnswer(
  brand: Brand,
  request: Request,
  code: ErrorCode,
  options: { readonly headers?: HeadersInit; readonly page?: PageText; readonly publicError?: string; readonly problem?: string } = {},
): Promise<Response> | Response {
  if (wantsHtmlNavigation(request)) return errorPage(brand, code, options.page, options.headers);
  return errorResponse(code, options.headers, options.publicError, options.problem);
}
