/**
 * What identity providers really send, normalised before the RFC core sees it, so the
 * core stays strict and RFC-shaped. Each rule names the provider that needs it.
 *
 * Never changes the meaning of a well-formed RFC request.
 */
import { URN } from '../urns.js';
import { keyFor } from '../attribute-paths.js';

type Json = Record<string, unknown>;

/** Read-only or server-assigned attributes that clients echo back (Okta's PUT sends id, meta and groups). */
const READ_ONLY = ['id', 'meta', 'groups'];

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Entra (without aadOptscim062020) sends booleans as "True"/"False". */
export function booleanOf(value: unknown): unknown {
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  return value;
}

/** Entra sends `null` for unmapped attributes: absent, as far as SCIM is concerned. */
function dropNulls(obj: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === null) continue;
    if (Array.isArray(v)) out[k] = v.filter((x) => x !== null).map((x) => (isObject(x) ? dropNulls(x) : x));
    else out[k] = isObject(v) ? dropNulls(v) : v;
  }
  return out;
}

/** Fixes the shapes scimmy would reject: boolean strings, Entra's bare-string manager. */
export function normaliseUserShapes(resource: Json): Json {
  const out = dropNulls(resource);
  const active = keyFor(out, 'active');
  if (active) out[active] = booleanOf(out[active]);
  for (const [key, value] of Object.entries(out)) {
    if (Array.isArray(value)) {
      out[key] = value.map((el) => {
        if (!isObject(el)) return el;
        const primary = keyFor(el, 'primary');
        return primary ? { ...el, [primary]: booleanOf(el[primary]) } : el;
      });
    }
  }
  const ext = keyFor(out, URN.enterpriseUser.toLowerCase());
  if (ext && isObject(out[ext])) {
    const enterprise = { ...(out[ext] as Json) };
    const manager = keyFor(enterprise, 'manager');
    if (manager && (typeof enterprise[manager] === 'string' || typeof enterprise[manager] === 'number')) {
      enterprise[manager] = { value: String(enterprise[manager]) };
    }
    out[ext] = enterprise;
  }
  return out;
}

/** A POST/PUT body ready for validation: read-only attributes dropped, password discarded, shapes fixed. */
export function normaliseUserBody(body: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(body)) {
    const lower = k.toLowerCase();
    // The password is never stored: sign-in goes through the identity provider.
    if (READ_ONLY.includes(lower) || lower === 'password') continue;
    out[k] = v;
  }
  return normaliseUserShapes(out);
}

/** A Group body: read-only attributes dropped; Entra's extra Microsoft schema URN is harmless and kept out of storage. */
export function normaliseGroupBody(body: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(dropNulls(body))) {
    if (!READ_ONLY.includes(k.toLowerCase())) out[k] = v;
  }
  return out;
}
