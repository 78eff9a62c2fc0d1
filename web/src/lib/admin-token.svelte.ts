// The admin token the dashboard sends on admin routes, kept for this browser tab only
// (sessionStorage), so it is gone when the tab closes.
const KEY = 'visionops.adminToken';

function stored(): string {
  try {
    return sessionStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

class AdminToken {
  value = $state(stored());

  set(token: string): void {
    this.value = token.trim();
    try {
      if (this.value) sessionStorage.setItem(KEY, this.value);
      else sessionStorage.removeItem(KEY);
    } catch {
      // Storage may be disabled; the token still works for this page.
    }
  }

  /** The token for a request header, or undefined when none is set. */
  get header(): string | undefined {
    return this.value || undefined;
  }
}

export const adminToken = new AdminToken();
