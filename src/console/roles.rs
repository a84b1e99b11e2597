//! Who may do what. Three roles, each including the one before:
//! an **auditor** reads (masked) and verifies the trail; a **dpo** also
//! reveals, releases, deletes and exports; an **admin** also manages users.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Auditor,
    Dpo,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Auditor => "auditor",
            Role::Dpo => "dpo",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "auditor" => Role::Auditor,
            "dpo" => Role::Dpo,
            "admin" => Role::Admin,
            _ => return None,
        })
    }

    /// Reveal, release, delete, export.
    pub fn may_act(self) -> bool {
        self >= Role::Dpo
    }

    /// Manage accounts.
    pub fn may_admin(self) -> bool {
        self >= Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_includes_the_one_before() {
        assert!(!Role::Auditor.may_act() && !Role::Auditor.may_admin());
        assert!(Role::Dpo.may_act() && !Role::Dpo.may_admin());
        assert!(Role::Admin.may_act() && Role::Admin.may_admin());
        for r in [Role::Auditor, Role::Dpo, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse("DPO"), None);
    }
}
