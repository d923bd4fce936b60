"""Fixed benchmark line sets for the Dubline intelligibility harness.

All lines are original text written for this benchmark (no quotations from
films, games or books).  Keep them stable: figures are only comparable across
runs when the text is identical.  To add lines, add a new list rather than
editing these.

- ``ZH_LINES`` / ``EN_LINES``: 10 lines each that take roughly 3-10 s to say;
  everyday dubbing dialogue for animation and games.  The Mandarin set covers
  all four tones plus neutral tone, the polyphones 银行/行长 (háng/zhǎng),
  重新 (chóng), 音乐 (yuè), and Arabic digits that the G2P must read out.
- ``ZH_HELDOUT`` / ``EN_HELDOUT``: 20 further lines each, typical
  short-video / animation dialogue (Mandarin lines are 8-25 Hanzi), used for
  the tone / CER benchmark.  Do not tune anything on these.
"""

ZH_LINES = [
    "快跟上！天黑之前，我们必须穿过这片森林。",
    "你先去银行取钱，我在门口等你，千万别让行长看见。",
    "这首音乐太好听了，我们重新再放一遍吧。",
    "我们只剩下5分钟了，大家赶紧回到飞船上！",
    "报告队长，前方发现两个敌人，请求立即支援！",
    "你为什么总是这样？我真的很生气，也很难过。",
    "小猫咪，别害怕，过来吃点东西好不好？",
    "这个宝箱里有120枚金币，足够买一把新的宝剑了。",
    "谢谢你一直陪着我，要是没有你，我早就放弃了。",
    "明天早上八点，我们在老地方见面，不要迟到哦。",
]

EN_LINES = [
    "Keep up! We have to get through this forest before it gets dark.",
    "Go to the bank first, I'll wait for you by the front door.",
    "This song is amazing, let's play it one more time from the start.",
    "We only have 5 minutes left, everyone get back to the ship right now!",
    "Captain, two enemies spotted up ahead, we need backup immediately!",
    "Why do you always do this? I'm really angry, and honestly a little hurt.",
    "Hey there, little kitten, don't be scared. Come and have something to eat.",
    "There are 120 gold coins in this chest, enough to buy a brand new sword.",
    "Thank you for staying with me. Without you, I would have given up long ago.",
    "Let's meet at the usual place at eight tomorrow morning. Don't be late.",
]

ZH_HELDOUT = [
    "家人们，今天带你们去吃一家超好吃的火锅。",
    "哇，这也太好看了吧，我都不敢相信！",
    "你给我站住，今天不把话说清楚别想走。",
    "姐姐，我的冰淇淋掉地上了，怎么办呀？",
    "记得点赞关注，我们下期再见啦！",
    "这道题我真的不会，你能教教我吗？",
    "别吵了，外面好像有什么奇怪的声音。",
    "师父，那个妖怪又回来了，我们快跑吧！",
    "今天的天气真不错，我们去公园散散步吧。",
    "老板，再来两碗牛肉面，多放点辣椒。",
    "我数到三，你们所有人都给我闭上眼睛。",
    "这件衣服只要九十九块，真的太划算了。",
    "不管发生什么，我都会一直保护你的。",
    "快看，天上那颗星星在动，是流星吗？",
    "妈妈说过，不能随便跟陌生人说话。",
    "你的作业写完了吗？写完才能看电视。",
    "这次比赛，我们一定要拿第一名！",
    "对不起，我来晚了，路上堵车堵得厉害。",
    "这个地方好安静，好像一个人都没有。",
    "我们重新开始吧，这一次绝对不会失败。",
]

EN_HELDOUT = [
    "Hey everyone, today I'm taking you to the best noodle shop in town.",
    "Wow, this looks amazing, I can't believe it!",
    "Stop right there, you're not leaving until you tell me the truth.",
    "My ice cream fell on the floor, what do I do now?",
    "Don't forget to like and subscribe, see you next time!",
    "I really don't get this problem, can you help me out?",
    "Be quiet, I think I heard something strange outside.",
    "Master, the monster is back, we need to run!",
    "The weather is so nice today, let's go for a walk in the park.",
    "Two more bowls of beef noodles, please, and extra chili.",
    "I'll count to three, and then everybody close your eyes.",
    "This jacket is only 99 dollars, that's a real bargain.",
    "No matter what happens, I will always protect you.",
    "Look, that star is moving across the sky, is it a shooting star?",
    "Mom always said never to talk to strangers.",
    "Have you finished your homework? No TV until it's done.",
    "This time we are definitely going to win first place!",
    "Sorry I'm late, the traffic on the way here was terrible.",
    "It's so quiet around here, like there's nobody left at all.",
    "Let's start over, and this time we won't fail.",
]

ALL_SETS = {
    "ZH_LINES": ZH_LINES,
    "EN_LINES": EN_LINES,
    "ZH_HELDOUT": ZH_HELDOUT,
    "EN_HELDOUT": EN_HELDOUT,
}
