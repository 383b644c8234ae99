/**
 * Step-by-step instructions per IdP kind, in the words of the IdP's own admin UI, with our
 * values filled in. Each step is text plus the values to copy.
 */
import type { ConnectionDetail } from './types.js';

export interface GuideStep {
  readonly text: string;
  readonly copy?: ReadonlyArray<{ label: string; value: string }>;
}

export interface Guide {
  readonly title: string;
  readonly scim: readonly GuideStep[];
  readonly saml: readonly GuideStep[];
  /** For an IdP whose directory the service pulls (Google): the IdP side of the directory sync. */
  readonly directorySync?: readonly GuideStep[];
}

export function guideFor(c: ConnectionDetail): Guide {
  const acs = { label: 'ACS URL', value: c.samlEndpoints.acsUrl };
  const entity = { label: 'Entity ID', value: c.samlEndpoints.entityId };
  const base = { label: 'SCIM base URL', value: c.scimBaseUrl };
  switch (c.kind) {
    case 'okta':
      return {
        title: 'Okta',
        scim: [
          {
            text: 'In the Okta Admin Console: Applications → Create App Integration → SAML 2.0, give it a name, and fill its SAML settings with the values of section 2 below (Okta asks for them before it creates the app). Then open the new app → General → App Settings → Edit, tick "Enable SCIM provisioning", Save.',
          },
          { text: 'Provisioning tab → Integration → Edit. "SCIM connector base URL":', copy: [base] },
          {
            text: '"Unique identifier field for users": userName. "Supported provisioning actions": tick Push New Users, Push Profile Updates and Push Groups.',
          },
          {
            text: '"Authentication Mode": HTTP Header. Paste the SCIM token (issue one below) as the Bearer token, then "Test Connector Configuration" and Save.',
          },
          {
            text: 'Provisioning → To App → Edit: enable Create Users, Update User Attributes and Deactivate Users. Then Push Groups → "Push groups by name" for each group you will map.',
          },
        ],
        saml: [
          {
            text: 'The app of step 1 (Okta asks for these while creating it; later: General → SAML Settings → Edit). "Single sign-on URL" (keep "Use this for Recipient URL and Destination URL" ticked):',
            copy: [acs],
          },
          { text: '"Audience URI (SP Entity ID)":', copy: [entity] },
          {
            text: '"Name ID format": EmailAddress; "Application username": Okta username. Attribute Statements: email → user.email, displayName → user.displayName. Group Attribute Statements: groups, filter "Matches regex" .*',
          },
          {
            text: 'Sign On tab → copy the "Metadata URL" (or download the metadata) and paste it under SAML sign-in below.',
          },
        ],
      };
    case 'entra':
      return {
        title: 'Microsoft Entra ID',
        scim: [
          {
            text: 'Entra admin center → Enterprise applications → your app → Provisioning → Get started. "Provisioning Mode": Automatic.',
          },
          {
            text: '"Tenant URL" (keep ?aadOptscim062020: it selects Entra\'s RFC-compliant SCIM behaviour):',
            copy: [{ label: 'Tenant URL', value: `${c.scimBaseUrl}?aadOptscim062020` }],
          },
          { text: '"Secret Token": the SCIM token (issue one below). Click "Test Connection", then Save.' },
          {
            text: 'Mappings → "Provision Microsoft Entra ID Users": keep userPrincipalName → userName, mail → emails[type eq "work"].value, accountEnabled → active (through Switch([IsSoftDeleted]…) as Entra proposes). Enable "Provision Microsoft Entra ID Groups".',
          },
          {
            text: 'Users and groups: assign the groups to provision. Settings → Scope: "Sync only assigned users and groups". Set "Provisioning Status" to On.',
          },
        ],
        saml: [
          { text: 'Single sign-on → SAML → Basic SAML Configuration. "Identifier (Entity ID)":', copy: [entity] },
          { text: '"Reply URL (Assertion Consumer Service URL)":', copy: [acs] },
          { text: '"Sign on URL":', copy: [{ label: 'Sign on URL', value: c.samlEndpoints.loginUrl }] },
          {
            text: 'Attributes & Claims: "Unique User Identifier" = user.userprincipalname; "Add a group claim" → Groups assigned to the application.',
          },
          { text: 'SAML Certificates → copy the "App Federation Metadata Url" and paste it under SAML sign-in below.' },
        ],
      };
    case 'google':
      return {
        title: 'Google Workspace',
        scim: [
          {
            text: 'Only for an app from Google’s catalog that offers automatic provisioning: Apps → Web and mobile apps → your app → Auto-provisioning, with this endpoint and a SCIM token:',
            copy: [base],
          },
        ],
        directorySync: [
          {
            text: 'Google pushes SCIM only to apps in its catalog, so for your own app this service reads Google’s directory itself, every 15 minutes by default: users, groups and members, read-only. Someone suspended or removed in Google loses access at the next run.',
          },
          {
            text: 'Google Cloud console (console.cloud.google.com): pick or create a project, then APIs & Services → Library → "Admin SDK API" → Enable.',
          },
          {
            text: 'IAM & Admin → Service accounts → Create service account (no roles needed). Open it → Keys → Add key → Create new key → JSON, and keep the downloaded file for the settings below. Note its "Unique ID" (the client ID).',
          },
          {
            text: 'Google Admin console (admin.google.com) → Security → Access and data control → API controls → Manage Domain Wide Delegation → Add new: the client ID, and as OAuth scopes the list shown below (copy it as is).',
          },
          {
            text: 'Name an admin the service account acts as (a super admin, or an admin with a role that may read users and groups). Paste the key file and that admin below, then Sync now.',
          },
        ],
        saml: [
          {
            text: 'Admin console → Apps → Web and mobile apps → Add app → Add custom SAML app. Download the IdP metadata on the "Google Identity Provider details" step and paste it below.',
          },
          { text: '"ACS URL":', copy: [acs] },
          { text: '"Entity ID":', copy: [entity] },
          {
            text: '"Name ID format": EMAIL; "Name ID": Basic Information > Primary email. Under "Group membership", choose the groups to send and name the app attribute groups.',
          },
        ],
      };
    default:
      return {
        title: 'SCIM 2.0 / SAML 2.0 identity provider',
        scim: [{ text: 'SCIM 2.0 base URL and a bearer token (issue one below):', copy: [base] }],
        saml: [
          {
            text: 'SAML 2.0 service provider values:',
            copy: [acs, entity, { label: 'SP metadata', value: c.samlEndpoints.metadataUrl }],
          },
        ],
      };
  }
}
