/**
 * Integration: a direct-message invite is only accepted for what it claims to be - a private space
 * of two, made by the member who sent it (issue 10 review: a co-member must not be able to pull us
 * into an arbitrary space, or make us dial addresses of its choosing).
 */
import { joinSpace } from '../../src/net/join-service.js'
import { describe, expect, it } from 'vitest'
import { actions } from '../../src/actions.js'
import { decodeToken } from '../../src/core/invite.js'
import { acceptDmInvite } from '../../src/dm-actions.js'
import { memberActions } from '../../src/member-actions.js'
import { appFixture } from '../helpers/apps.js'

const { start } = appFixture()

describe('direct-message invites', () => {
  it('an invite to a space that is not a direct-message space of the sender is refused', async () => {
    const [alice, bob] = [await start('alice'), await start('bob')]
    const shared = await actions.spaceCreate(alice, 'shared')
    const { invite } = await memberActions.inviteCreate(alice)
    await actions.connect(bob, alice.addresses()[0])
    await joinSpace(bob, invite)
    // alice makes an ordinary private space and passes its invite off as direct messages
    const other = await actions.spaceCreate(alice, 'not a dm')
    const token = decodeToken((await memberActions.inviteCreate(alice)).invite)
    const forged = { ...token, addrs: ['/ip4/127.0.0.2/tcp/9/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA', ...token.addrs] }
    await expect(acceptDmInvite(bob, shared.spaceId, alice.account.userId, forged)).rejects.toMatchObject({ code: 'FORBIDDEN' })
    expect(bob.store.spaces.get(other.spaceId)?.members.roleOf(bob.account.userId) ?? null).toBeNull()
    // the address of another peer in the token was not dialed
    expect(bob.connectedPeers()).toEqual([alice.account.peerId])
  })
})
