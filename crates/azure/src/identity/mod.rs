//! Microsoft Entra ID: signing in service principals (secret, certificate), the Azure CLI's
//! account, and people (browser with PKCE, device code) whose refresh token serves every tenant.

pub mod credential;
pub mod user;
