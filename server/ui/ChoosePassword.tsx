/** The "choose a password" fields of the forms that make an account (setup, invitation). */

/**
 * Renders the fields `password` and `confirm_password`, both marked as a
 * new password for password managers; the server checks that they match
 * and follow the password rule (`shared/account_rules.ts`).
 */
export function ChoosePassword() {
  return (
    <>
      <label>
        Password
        <input type="password" name="password" autocomplete="new-password" required />
      </label>
      <label>
        Password again
        <input type="password" name="confirm_password" autocomplete="new-password" required />
      </label>
    </>
  );
}
