"""The value-change log (four eyes on manager-made value): ValueChange."""

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cafe_loyalty', '0001_roles'),
        ('members', '0005_consent_activity'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ValueChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('coupon_issue', 'Issue a coupon'), ('coupon_unredeem', 'Un-redeem a coupon'), ('coupon_template', 'Coupon template'), ('bonus_rule', 'Top-up bonus rule'), ('points_adjustment', 'Points adjustment')], max_length=30, verbose_name='kind')),
                ('status', models.CharField(choices=[('pending', 'Waiting for approval'), ('applied', 'Applied'), ('rejected', 'Rejected')], default='pending', max_length=10, verbose_name='status')),
                ('summary', models.CharField(max_length=300, verbose_name='change')),
                ('payload', models.JSONField(encoder=django.core.serializers.json.DjangoJSONEncoder)),
                ('size', models.BigIntegerField(blank=True, null=True, verbose_name='size')),
                ('reason', models.CharField(max_length=300, verbose_name='reason')),
                ('requested_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='requested at')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                ('result_model', models.CharField(blank=True, max_length=60)),
                ('result_id', models.CharField(blank=True, max_length=40)),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='approved or rejected by')),
                ('member', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='members.member', verbose_name='member')),
                ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requested by')),
            ],
            options={
                'verbose_name': 'value change',
                'verbose_name_plural': 'value changes (four eyes)',
                'ordering': ['-requested_at', '-pk'],
                'permissions': [('decide_valuechange', 'Can approve or reject value changes')],
                'indexes': [models.Index(fields=['status', 'kind'], name='cafe_loyalt_status_cce218_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('reason', ''), _negated=True), name='value_change_has_reason'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'applied'), _negated=True), models.Q(('decided_by', models.F('requested_by')), _negated=True), _connector='OR'), name='value_change_not_self_approved'), models.CheckConstraint(condition=models.Q(models.Q(('decided_at__isnull', True), ('decided_by__isnull', True), ('status', 'pending')), models.Q(('decided_at__isnull', False), ('status', 'applied')), models.Q(('decided_at__isnull', False), ('decided_by__isnull', False), ('status', 'rejected')), _connector='OR'), name='value_change_decision_recorded')],
            },
        ),
    ]
